// Autograd: requires_grad, backward, gradients, detach.
#include "common.h"

#include <torch/csrc/autograd/function.h>

namespace selfsup {

OP(setRequiresGrad, {
  T(info[0]).set_requires_grad(Flag(info[1]));
  return info[0];
})
OP(requiresGrad, { return Napi::Boolean::New(env, T(info[0]).requires_grad()); })
OP(isLeaf, { return Napi::Boolean::New(env, T(info[0]).is_leaf()); })
// grad(t) -> handle or null (shares storage with the accumulated gradient)
OP(grad, {
  const at::Tensor& g = T(info[0]).grad();
  if (!g.defined()) return env.Null();
  return Wrap(env, g);
})
// setGrad(t, g|null)
OP(setGrad, {
  at::Tensor& t = T(info[0]);
  if (info[1].IsNull() || info[1].IsUndefined()) {
    t.mutable_grad() = at::Tensor();
  } else {
    // As PyTorch's setter: the gradient must match the tensor, or backward would fail later.
    at::Tensor& g = T(info[1]);
    if (g.sizes() != t.sizes() || g.scalar_type() != t.scalar_type() || g.device() != t.device())
      throw std::invalid_argument("the gradient must have the tensor's shape, dtype and device: tensor " +
                                  c10::str(t.sizes()) + " " + DtypeName(t.scalar_type()) + ", gradient " +
                                  c10::str(g.sizes()) + " " + DtypeName(g.scalar_type()));
    t.mutable_grad() = g;
  }
  return env.Undefined();
})
// backward(t, gradient|null, retainGraph)
OP(backward, {
  at::Tensor& t = T(info[0]);
  c10::optional<at::Tensor> g = OptT(info[1]);
  t.backward(g.has_value() ? *g : at::Tensor(), Flag(info[2]), false);
  return env.Undefined();
})
OP(retainGrad, {
  T(info[0]).retain_grad();
  return env.Undefined();
})
OP(detach, { return Wrap(env, T(info[0]).detach()); })
OP(gradFn, {
  const auto& fn = T(info[0]).grad_fn();
  if (!fn) return env.Null();
  return Napi::String::New(env, fn->name());
})

void RegisterAutograd(Napi::Env env, Napi::Object exports) {
  EXPORT(setRequiresGrad); EXPORT(requiresGrad); EXPORT(isLeaf); EXPORT(grad); EXPORT(setGrad);
  EXPORT(backward); EXPORT(retainGrad); EXPORT(detach); EXPORT(gradFn);
}

}  // namespace selfsup
