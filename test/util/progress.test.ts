// The progress bar's ETA: rounded once to whole seconds, so a carry never shows as 2m60s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatEta } from '../../src/util/progress.js';

test('ETA text: seconds, minutes and seconds, hours and minutes; carries rounded once', () => {
  assert.deepEqual([0, 44.4, 59.6, 179.6, 185, 3599.6, 3725, 36000].map(formatEta), ['0s', '44s', '1m00s', '3m00s', '3m05s', '1h00m', '1h02m', '10h00m']);
  assert.deepEqual([Infinity, NaN, -1].map(formatEta), ['?', '?', '?']);
});
