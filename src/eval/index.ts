// Evaluation of frozen features: linear probes and low-shot subsets.
export {
  trainLinearProbes, LINEAR_PROBE_DEFAULTS, batchBounds, probeLr,
  type FeatureMatrix, type ProbeHead, type LinearProbeInput, type LinearProbeOptions, type LinearProbeProgress, type LinearProbeResult,
} from './linear.js';
export {
  perClassSubset, fractionSubset, lowShotProbe, meanStd, LOW_SHOT_DEFAULTS,
  type LowShotOptions, type LowShotSetting, type LowShotHeadResult,
} from './lowshot.js';
