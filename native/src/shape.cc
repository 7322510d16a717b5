// Views, reshaping, joining and splitting, indexing, padding.
#include "common.h"

namespace selfsup {

OP(reshape, { return Wrap(env, T(info[0]).reshape(Ints(info[1]))); })
OP(view, { return Wrap(env, T(info[0]).view(Ints(info[1]))); })
OP(permute, { return Wrap(env, T(info[0]).permute(Ints(info[1]))); })
OP(transpose, { return Wrap(env, T(info[0]).transpose(Int(info[1]), Int(info[2]))); })
// squeeze(t, dim|null)
OP(squeeze, {
  at::Tensor& t = T(info[0]);
  if (info[1].IsNumber()) return Wrap(env, t.squeeze(Int(info[1])));
  return Wrap(env, t.squeeze());
})
OP(unsqueeze, { return Wrap(env, T(info[0]).unsqueeze(Int(info[1]))); })
OP(flatten, { return Wrap(env, T(info[0]).flatten(Int(info[1]), Int(info[2]))); })
OP(expand, { return Wrap(env, T(info[0]).expand(Ints(info[1]))); })
OP(repeat, { return Wrap(env, T(info[0]).repeat(Ints(info[1]))); })
// repeatInterleave(t, repeats, dim)
OP(repeatInterleave, { return Wrap(env, at::repeat_interleave(T(info[0]), Int(info[1]), Int(info[2]))); })
OP(flip, { return Wrap(env, T(info[0]).flip(Ints(info[1]))); })
// rot90(t, k, dims): counter-clockwise by k quarter turns in the plane dims
OP(rot90, { return Wrap(env, at::rot90(T(info[0]), Int(info[1]), Ints(info[2]))); })
// narrow(t, dim, start, length)
OP(narrow, { return Wrap(env, T(info[0]).narrow(Int(info[1]), Int(info[2]), Int(info[3]))); })
// slice(t, dim, start, end, step)
OP(slice, { return Wrap(env, T(info[0]).slice(Int(info[1]), Int(info[2]), Int(info[3]), Int(info[4]))); })
// select(t, dim, index): removes dim
OP(select, { return Wrap(env, T(info[0]).select(Int(info[1]), Int(info[2]))); })
OP(cat, { return Wrap(env, at::cat(Tensors(info[0]), Int(info[1]))); })
OP(stack, { return Wrap(env, at::stack(Tensors(info[0]), Int(info[1]))); })
// split(t, size|sizes, dim)
OP(split, {
  at::Tensor& t = T(info[0]);
  if (info[1].IsNumber()) return WrapAll(env, t.split(Int(info[1]), Int(info[2])));
  return WrapAll(env, t.split_with_sizes(Ints(info[1]), Int(info[2])));
})
OP(chunk, { return WrapAll(env, T(info[0]).chunk(Int(info[1]), Int(info[2]))); })
OP(unbind, { return WrapAll(env, T(info[0]).unbind(Int(info[1]))); })
// indexSelect(t, dim, index)
OP(indexSelect, { return Wrap(env, at::index_select(T(info[0]), Int(info[1]), T(info[2]))); })
// gather(t, dim, index)
OP(gather, { return Wrap(env, at::gather(T(info[0]), Int(info[1]), T(info[2]))); })
// scatter(t, dim, index, src tensor|number)
OP(scatter, {
  if (IsHandle(info[3])) return Wrap(env, at::scatter(T(info[0]), Int(info[1]), T(info[2]), T(info[3])));
  return Wrap(env, at::scatter(T(info[0]), Int(info[1]), T(info[2]), ScalarOf(info[3])));
})
OP(scatterAdd, { return Wrap(env, at::scatter_add(T(info[0]), Int(info[1]), T(info[2]), T(info[3]))); })
// indexAdd(t, dim, index, source)
OP(indexAdd, { return Wrap(env, at::index_add(T(info[0]), Int(info[1]), T(info[2]), T(info[3]))); })
// maskedFill(t, mask, value)
OP(maskedFill, { return Wrap(env, at::masked_fill(T(info[0]), T(info[1]), ScalarOf(info[2]))); })
OP(maskedSelect, { return Wrap(env, at::masked_select(T(info[0]), T(info[1]))); })
// index(t, [index tensors | null]): advanced indexing, null keeps a dim whole
OP(index, {
  if (!info[1].IsArray()) throw ArgError("expected an array of index tensors or nulls");
  Napi::Array a = info[1].As<Napi::Array>();
  c10::List<c10::optional<at::Tensor>> idx;
  for (uint32_t i = 0; i < a.Length(); i++) idx.push_back(OptT(a.Get(i)));
  return Wrap(env, at::index(T(info[0]), idx));
})
OP(nonzero, { return Wrap(env, at::nonzero(T(info[0]))); })
// pad(t, pads [left, right, top, bottom, ...], mode 'constant'|'reflect'|'replicate'|'circular', value)
OP(pad, {
  std::string mode = Str(info[2]);
  c10::optional<double> value;
  if (mode == "constant") value = Num(info[3]);
  return Wrap(env, at::pad(T(info[0]), Ints(info[1]), mode, value));
})
// oneHot(labels int64, numClasses) -> int64 [..., numClasses]
OP(oneHot, { return Wrap(env, at::one_hot(T(info[0]), Int(info[1]))); })
OP(tril, { return Wrap(env, at::tril(T(info[0]), Int(info[1]))); })
OP(triu, { return Wrap(env, at::triu(T(info[0]), Int(info[1]))); })
OP(diag, { return Wrap(env, at::diag(T(info[0]), Int(info[1]))); })
// unfold(t, dim, size, step): sliding windows
OP(unfold, { return Wrap(env, T(info[0]).unfold(Int(info[1]), Int(info[2]), Int(info[3]))); })

void RegisterShape(Napi::Env env, Napi::Object exports) {
  EXPORT(reshape); EXPORT(view); EXPORT(permute); EXPORT(transpose); EXPORT(squeeze); EXPORT(unsqueeze);
  EXPORT(flatten); EXPORT(expand); EXPORT(repeat); EXPORT(repeatInterleave); EXPORT(flip); EXPORT(rot90);
  EXPORT(narrow); EXPORT(slice); EXPORT(select); EXPORT(cat); EXPORT(stack); EXPORT(split); EXPORT(chunk);
  EXPORT(unbind); EXPORT(indexSelect); EXPORT(gather); EXPORT(scatter); EXPORT(scatterAdd); EXPORT(indexAdd);
  EXPORT(maskedFill); EXPORT(maskedSelect); EXPORT(index); EXPORT(nonzero); EXPORT(pad); EXPORT(oneHot);
  EXPORT(tril); EXPORT(triu); EXPORT(diag); EXPORT(unfold);
}

}  // namespace selfsup
