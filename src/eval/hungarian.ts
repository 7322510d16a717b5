// The linear sum assignment problem (as scipy.optimize.linear_sum_assignment solves it): given
// an R x C cost matrix, pick min(R, C) cells, at most one per row and one per column, with the
// smallest (or, with maximize, the largest) total. The Hungarian algorithm of Kuhn and Munkres
// in its O(n^2 m) form with row and column potentials and shortest augmenting paths (one row
// added per phase; n = min(R, C), m = max(R, C)). Pure JavaScript, float64.

/** A dense row-major matrix: data[r * cols + c]. */
export interface CostMatrix {
  data: ArrayLike<number>;
  rows: number;
  cols: number;
}

export interface Assignment {
  /** Rows of the chosen cells, ascending (all rows when R <= C), int32 [min(R, C)]. */
  rowInd: Int32Array;
  /** The column chosen for each of those rows, int32 [min(R, C)]. */
  colInd: Int32Array;
  /** Sum of the costs of the chosen cells. */
  total: number;
}

function toMatrix(cost: number[][] | CostMatrix): { data: Float64Array; rows: number; cols: number } {
  if (Array.isArray(cost)) {
    const rows = cost.length;
    const cols = rows === 0 ? 0 : cost[0]!.length;
    const data = new Float64Array(rows * cols);
    cost.forEach((row, r) => {
      if (row.length !== cols) throw new Error(`linearSumAssignment: row ${r} has ${row.length} entries, expected ${cols} (as row 0)`);
      for (let c = 0; c < cols; c++) data[r * cols + c] = row[c]!;
    });
    return { data, rows, cols };
  }
  const { rows, cols } = cost;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new Error(`linearSumAssignment: rows and cols must be integers >= 0, got ${rows} x ${cols}`);
  }
  if (cost.data.length !== rows * cols) {
    throw new Error(`linearSumAssignment: a ${rows} x ${cols} matrix needs ${rows * cols} values, got ${cost.data.length}`);
  }
  return { data: Float64Array.from(cost.data), rows, cols };
}

/**
 * The cheapest (or with maximize, the dearest) assignment of rows to columns of a cost matrix,
 * R x C, rectangular allowed: min(R, C) pairs. Returns the pairs as scipy does (rows ascending)
 * and their total. Every entry must be finite. When several assignments are optimal, which one
 * is returned may differ from scipy's; the total does not.
 */
export function linearSumAssignment(cost: number[][] | CostMatrix, maximize = false): Assignment {
  const { data, rows, cols } = toMatrix(cost);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      throw new Error(`linearSumAssignment: entry (${Math.floor(i / cols)}, ${i % cols}) is ${data[i]}; every cost must be finite`);
    }
  }
  const transpose = rows > cols;
  const n = Math.min(rows, cols), m = Math.max(rows, cols);
  if (n === 0) return { rowInd: new Int32Array(0), colInd: new Int32Array(0), total: 0 };
  // a(i, j) for the n x m problem (n <= m), 0-based, negated when maximising.
  const sign = maximize ? -1 : 1;
  const a = new Float64Array(n * m);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = sign * data[r * cols + c]!;
      if (transpose) a[c * m + r] = v;
      else a[r * m + c] = v;
    }
  }

  // 1-based potentials u (rows) and v (columns); p[j] = row matched to column j (0: none);
  // column 0 is a virtual column holding the row being added.
  const u = new Float64Array(n + 1), v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1), way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      const row = (i0 - 1) * m;
      let delta = Infinity, j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = a[row + j - 1]! - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]!]! += delta;
          v[j]! -= delta;
        } else {
          minv[j]! -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }

  // Column of each of the n problem rows.
  const colOf = new Int32Array(n);
  for (let j = 1; j <= m; j++) if (p[j] !== 0) colOf[p[j]! - 1] = j - 1;
  const pairs: [number, number][] = [];
  for (let i = 0; i < n; i++) pairs.push(transpose ? [colOf[i]!, i] : [i, colOf[i]!]);
  pairs.sort((x, y) => x[0] - y[0]);
  const rowInd = Int32Array.from(pairs, (q) => q[0]);
  const colInd = Int32Array.from(pairs, (q) => q[1]);
  let total = 0;
  for (let k = 0; k < n; k++) total += data[rowInd[k]! * cols + colInd[k]!]!;
  return { rowInd, colInd, total };
}
