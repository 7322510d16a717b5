// Elementwise arithmetic, comparisons, reductions, linear algebra, and the
// in-place updates optimisers need. Binary ops take a tensor or a number.
#include "common.h"

namespace selfsup {

#define BINARY(NAME, FN)                                            \
  OP(NAME, {                                                        \
    at::Tensor& a = T(info[0]);                                     \
    if (IsHandle(info[1])) return Wrap(env, at::FN(a, T(info[1]))); \
    return Wrap(env, at::FN(a, ScalarOf(info[1])));                 \
  })
#define UNARY(NAME, FN) OP(NAME, { return Wrap(env, at::FN(T(info[0]))); })

// add(a, b, alpha=1), sub(a, b, alpha=1): a + alpha * b
OP(add, {
  at::Tensor& a = T(info[0]);
  at::Scalar alpha = info.Length() > 2 && info[2].IsNumber() ? ScalarOf(info[2]) : at::Scalar(1);
  if (IsHandle(info[1])) return Wrap(env, at::add(a, T(info[1]), alpha));
  return Wrap(env, at::add(a, ScalarOf(info[1]), alpha));
})
OP(sub, {
  at::Tensor& a = T(info[0]);
  at::Scalar alpha = info.Length() > 2 && info[2].IsNumber() ? ScalarOf(info[2]) : at::Scalar(1);
  if (IsHandle(info[1])) return Wrap(env, at::sub(a, T(info[1]), alpha));
  return Wrap(env, at::sub(a, ScalarOf(info[1]), alpha));
})
BINARY(mul, mul)
BINARY(div, div)
BINARY(pow, pow)
BINARY(remainder, remainder)
BINARY(eq, eq)
BINARY(ne, ne)
BINARY(lt, lt)
BINARY(le, le)
BINARY(gt, gt)
BINARY(ge, ge)
OP(maximum, { return Wrap(env, at::maximum(T(info[0]), T(info[1]))); })
OP(minimum, { return Wrap(env, at::minimum(T(info[0]), T(info[1]))); })
OP(logicalAnd, { return Wrap(env, at::logical_and(T(info[0]), T(info[1]))); })
OP(logicalOr, { return Wrap(env, at::logical_or(T(info[0]), T(info[1]))); })
// rsub(a, s): s - a
OP(rsub, { return Wrap(env, at::rsub(T(info[0]), ScalarOf(info[1]))); })
// rdiv(a, s): s / a
OP(rdiv, { return Wrap(env, at::reciprocal(T(info[0])).mul(ScalarOf(info[1]))); })

UNARY(neg, neg)
UNARY(exp, exp)
UNARY(log, log)
UNARY(log1p, log1p)
UNARY(expm1, expm1)
UNARY(sqrt, sqrt)
UNARY(rsqrt, rsqrt)
UNARY(abs, abs)
UNARY(sign, sign)
UNARY(sin, sin)
UNARY(cos, cos)
UNARY(tanh, tanh)
UNARY(sigmoid, sigmoid)
UNARY(floor, floor)
UNARY(ceil, ceil)
UNARY(round, round)
UNARY(reciprocal, reciprocal)
UNARY(square, square)
UNARY(logicalNot, logical_not)
UNARY(isnan, isnan)
UNARY(isfinite, isfinite)

// clamp(t, min|null, max|null)
OP(clamp, {
  c10::optional<at::Scalar> lo, hi;
  if (info[1].IsNumber()) lo = ScalarOf(info[1]);
  if (info[2].IsNumber()) hi = ScalarOf(info[2]);
  return Wrap(env, at::clamp(T(info[0]), lo, hi));
})
// where(cond, a, b): a and b are tensors or numbers
OP(where, {
  at::Tensor& c = T(info[0]);
  bool ta = IsHandle(info[1]), tb = IsHandle(info[2]);
  if (ta && tb) return Wrap(env, at::where(c, T(info[1]), T(info[2])));
  if (ta) return Wrap(env, at::where(c, T(info[1]), ScalarOf(info[2])));
  if (tb) return Wrap(env, at::where(c, ScalarOf(info[1]), T(info[2])));
  return Wrap(env, at::where(c, ScalarOf(info[1]), ScalarOf(info[2])));
})
OP(lerp, { return Wrap(env, at::lerp(T(info[0]), T(info[1]), ScalarOf(info[2]))); })

// ---- reductions: (t, dims|null, keepdim) ----
static at::OptionalIntArrayRef OptDims(const Napi::Value& v, std::vector<int64_t>& store) {
  if (v.IsNull() || v.IsUndefined()) return c10::nullopt;
  store = Ints(v);
  return at::IntArrayRef(store);
}

OP(sum, {
  at::Tensor& t = T(info[0]);
  if (info[1].IsNull() || info[1].IsUndefined()) return Wrap(env, t.sum());
  return Wrap(env, at::sum(t, Ints(info[1]), Flag(info[2])));
})
OP(mean, {
  at::Tensor& t = T(info[0]);
  if (info[1].IsNull() || info[1].IsUndefined()) return Wrap(env, t.mean());
  return Wrap(env, at::mean(t, Ints(info[1]), Flag(info[2])));
})
OP(prod, {
  at::Tensor& t = T(info[0]);
  if (info[1].IsNull() || info[1].IsUndefined()) return Wrap(env, t.prod());
  return Wrap(env, at::prod(t, Int(info[1]), Flag(info[2])));
})
OP(logsumexp, { return Wrap(env, at::logsumexp(T(info[0]), Ints(info[1]), Flag(info[2]))); })
OP(cumsum, { return Wrap(env, at::cumsum(T(info[0]), Int(info[1]))); })
OP(all, { return Wrap(env, at::all(T(info[0]))); })
OP(any, { return Wrap(env, at::any(T(info[0]))); })
// max(t) -> scalar tensor; max(t, dim, keepdim) -> [values, indices]
OP(max, {
  at::Tensor& t = T(info[0]);
  if (!info[1].IsNumber()) return Wrap(env, t.max());
  auto r = at::max(t, Int(info[1]), Flag(info[2]));
  return WrapAll(env, {std::get<0>(r), std::get<1>(r)});
})
OP(min, {
  at::Tensor& t = T(info[0]);
  if (!info[1].IsNumber()) return Wrap(env, t.min());
  auto r = at::min(t, Int(info[1]), Flag(info[2]));
  return WrapAll(env, {std::get<0>(r), std::get<1>(r)});
})
// argmax(t, dim|null, keepdim)
OP(argmax, {
  c10::optional<int64_t> d;
  if (info[1].IsNumber()) d = Int(info[1]);
  return Wrap(env, at::argmax(T(info[0]), d, Flag(info[2])));
})
OP(argmin, {
  c10::optional<int64_t> d;
  if (info[1].IsNumber()) d = Int(info[1]);
  return Wrap(env, at::argmin(T(info[0]), d, Flag(info[2])));
})
// var(t, dims|null, correction, keepdim); std likewise (correction 1 = unbiased)
OP(var, {
  std::vector<int64_t> store;
  return Wrap(env, at::var(T(info[0]), OptDims(info[1], store), c10::optional<int64_t>(Int(info[2])), Flag(info[3])));
})
OP(std, {
  std::vector<int64_t> store;
  return Wrap(env, at::std(T(info[0]), OptDims(info[1], store), c10::optional<int64_t>(Int(info[2])), Flag(info[3])));
})
// norm(t, p, dims|null, keepdim)
OP(norm, {
  at::Tensor& t = T(info[0]);
  at::Scalar p = ScalarOf(info[1]);
  if (info[2].IsNull() || info[2].IsUndefined()) return Wrap(env, at::norm(t, p));
  return Wrap(env, at::norm(t, p, Ints(info[2]), Flag(info[3])));
})
// topk(t, k, dim, largest, sorted) -> [values, indices]
OP(topk, {
  auto r = at::topk(T(info[0]), Int(info[1]), Int(info[2]), Flag(info[3]), Flag(info[4]));
  return WrapAll(env, {std::get<0>(r), std::get<1>(r)});
})
// sort(t, dim, descending) -> [values, indices]
OP(sort, {
  auto r = at::sort(T(info[0]), Int(info[1]), Flag(info[2]));
  return WrapAll(env, {std::get<0>(r), std::get<1>(r)});
})
OP(argsort, { return Wrap(env, at::argsort(T(info[0]), Int(info[1]), Flag(info[2]))); })
// bincount(t, minlength)
OP(bincount, { return Wrap(env, at::bincount(T(info[0]), c10::nullopt, Int(info[1]))); })

// ---- linear algebra ----
OP(matmul, { return Wrap(env, at::matmul(T(info[0]), T(info[1]))); })
OP(mm, { return Wrap(env, at::mm(T(info[0]), T(info[1]))); })
OP(bmm, { return Wrap(env, at::bmm(T(info[0]), T(info[1]))); })
OP(outer, { return Wrap(env, at::outer(T(info[0]), T(info[1]))); })
OP(dot, { return Wrap(env, at::dot(T(info[0]), T(info[1]))); })
// addmm(bias, a, b, beta, alpha): beta * bias + alpha * (a @ b)
OP(addmm, {
  return Wrap(env, at::addmm(T(info[0]), T(info[1]), T(info[2]), ScalarOf(info[3]), ScalarOf(info[4])));
})
// cdist(a [.., P, M], b [.., R, M], p) -> [.., P, R]
OP(cdist, { return Wrap(env, at::cdist(T(info[0]), T(info[1]), Num(info[2]))); })
// eigh(symmetric) -> [eigenvalues ascending, eigenvectors as columns]
OP(eigh, {
  auto r = at::linalg_eigh(T(info[0]), "L");
  return WrapAll(env, {std::get<0>(r), std::get<1>(r)});
})
// svd(a, fullMatrices) -> [U, S, Vh]
OP(svd, {
  auto r = at::linalg_svd(T(info[0]), Flag(info[1]));
  return WrapAll(env, {std::get<0>(r), std::get<1>(r), std::get<2>(r)});
})

// ---- in place (return the same handle's tensor as a new handle) ----
#define INPLACE_BINARY(NAME, FN)                             \
  OP(NAME, {                                                 \
    at::Tensor& a = T(info[0]);                              \
    if (IsHandle(info[1])) a.FN(T(info[1]));                 \
    else a.FN(ScalarOf(info[1]));                            \
    return info[0];                                          \
  })
// add_(a, b, alpha=1)
OP(add_, {
  at::Tensor& a = T(info[0]);
  at::Scalar alpha = info.Length() > 2 && info[2].IsNumber() ? ScalarOf(info[2]) : at::Scalar(1);
  if (IsHandle(info[1])) a.add_(T(info[1]), alpha);
  else a.add_(ScalarOf(info[1]), alpha);
  return info[0];
})
INPLACE_BINARY(mul_, mul_)
INPLACE_BINARY(div_, div_)
// sub_(a, b, alpha=1)
OP(sub_, {
  at::Tensor& a = T(info[0]);
  at::Scalar alpha = info.Length() > 2 && info[2].IsNumber() ? ScalarOf(info[2]) : at::Scalar(1);
  if (IsHandle(info[1])) a.sub_(T(info[1]), alpha);
  else a.sub_(ScalarOf(info[1]), alpha);
  return info[0];
})
// addcmul_(a, t1, t2, value): a += value * t1 * t2
OP(addcmul_, {
  T(info[0]).addcmul_(T(info[1]), T(info[2]), ScalarOf(info[3]));
  return info[0];
})
// addcdiv_(a, t1, t2, value): a += value * t1 / t2
OP(addcdiv_, {
  T(info[0]).addcdiv_(T(info[1]), T(info[2]), ScalarOf(info[3]));
  return info[0];
})
// lerp_(a, b, w): a += w * (b - a)
OP(lerp_, {
  T(info[0]).lerp_(T(info[1]), ScalarOf(info[2]));
  return info[0];
})
OP(copy_, {
  T(info[0]).copy_(T(info[1]));
  return info[0];
})
OP(zero_, {
  T(info[0]).zero_();
  return info[0];
})
OP(fill_, {
  T(info[0]).fill_(ScalarOf(info[1]));
  return info[0];
})
OP(sqrt_, {
  T(info[0]).sqrt_();
  return info[0];
})
OP(clamp_, {
  c10::optional<at::Scalar> lo, hi;
  if (info[1].IsNumber()) lo = ScalarOf(info[1]);
  if (info[2].IsNumber()) hi = ScalarOf(info[2]);
  T(info[0]).clamp_(lo, hi);
  return info[0];
})
// uniform_(t, from, to), normal_(t, mean, std): used by initialisers
OP(uniform_, {
  T(info[0]).uniform_(Num(info[1]), Num(info[2]));
  return info[0];
})
OP(normal_, {
  T(info[0]).normal_(Num(info[1]), Num(info[2]));
  return info[0];
})

void RegisterMath(Napi::Env env, Napi::Object exports) {
  EXPORT(add); EXPORT(sub); EXPORT(mul); EXPORT(div); EXPORT(pow); EXPORT(remainder);
  EXPORT(eq); EXPORT(ne); EXPORT(lt); EXPORT(le); EXPORT(gt); EXPORT(ge);
  EXPORT(maximum); EXPORT(minimum); EXPORT(logicalAnd); EXPORT(logicalOr); EXPORT(rsub); EXPORT(rdiv);
  EXPORT(neg); EXPORT(exp); EXPORT(log); EXPORT(log1p); EXPORT(expm1); EXPORT(sqrt); EXPORT(rsqrt);
  EXPORT(abs); EXPORT(sign); EXPORT(sin); EXPORT(cos); EXPORT(tanh); EXPORT(sigmoid);
  EXPORT(floor); EXPORT(ceil); EXPORT(round); EXPORT(reciprocal); EXPORT(square);
  EXPORT(logicalNot); EXPORT(isnan); EXPORT(isfinite);
  EXPORT(clamp); EXPORT(where); EXPORT(lerp);
  EXPORT(sum); EXPORT(mean); EXPORT(prod); EXPORT(logsumexp); EXPORT(cumsum); EXPORT(all); EXPORT(any);
  EXPORT(max); EXPORT(min); EXPORT(argmax); EXPORT(argmin); EXPORT(var); EXPORT(std); EXPORT(norm);
  EXPORT(topk); EXPORT(sort); EXPORT(argsort); EXPORT(bincount);
  EXPORT(matmul); EXPORT(mm); EXPORT(bmm); EXPORT(outer); EXPORT(dot); EXPORT(addmm); EXPORT(cdist);
  EXPORT(eigh); EXPORT(svd);
  EXPORT(add_); EXPORT(mul_); EXPORT(div_); EXPORT(sub_); EXPORT(addcmul_); EXPORT(addcdiv_);
  EXPORT(lerp_); EXPORT(copy_); EXPORT(zero_); EXPORT(fill_); EXPORT(sqrt_); EXPORT(clamp_);
  EXPORT(uniform_); EXPORT(normal_);
}

}  // namespace selfsup
