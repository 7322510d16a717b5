// Used only when libtorch's own header is missing (Debian's libtorch-dev ships c10d's headers
// but not distributed autograd's, which c10d/reducer.hpp includes for two names). The include
// path lists this folder after libtorch's, so a libtorch that has the header uses its own.
// Reducer holds a ContextPtr (a shared_ptr: its layout does not depend on the class) and checks
// that GradCallback is this function type; nothing else of the class is used here.
#pragma once

#include <functional>
#include <memory>

#include <ATen/core/Tensor.h>

namespace torch {
namespace distributed {
namespace autograd {

class DistAutogradContext {
 public:
  using GradCallback = std::function<bool(at::Tensor&)>;
};
using ContextPtr = std::shared_ptr<DistAutogradContext>;

}  // namespace autograd
}  // namespace distributed
}  // namespace torch
