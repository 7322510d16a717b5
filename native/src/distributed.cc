// Several processes over libtorch's own c10d: the TCPStore rendezvous (rank 0 hosts it) and
// ProcessGroupGloo's collectives on CPU tensors. One store and one process group per process,
// as torch.distributed's default group. Every collective blocks until it is done on this rank,
// or throws (a peer gone, or the timeout passed); tensors are reduced in place.
// Built only with Gloo's headers (Debian libgloo-dev: scripts/libtorch.mjs then defines
// SELFSUP_GLOO); without them every binding but distAvailable throws, saying so.
#include "common.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>

#if SELFSUP_GLOO
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>
#include <torch/csrc/autograd/custom_function.h>
#endif

namespace selfsup {

#if SELFSUP_GLOO

// Held until distDestroy. Never freed at exit: a group whose peer died may block in its
// destructor, and the process is ending anyway.
static c10::intrusive_ptr<c10d::Store>* store = nullptr;
static c10::intrusive_ptr<c10d::ProcessGroupGloo>* group = nullptr;

static c10d::Store& S() {
  if (!store) throw std::runtime_error("no store: call storeConnect first");
  return **store;
}

static c10d::ProcessGroupGloo& G() {
  if (!group) throw std::runtime_error("no process group: call processGroupInit first");
  return **group;
}

static std::chrono::milliseconds Ms(const Napi::Value& v) { return std::chrono::milliseconds(Int(v)); }

static std::string Text(const std::vector<uint8_t>& bytes) { return std::string(bytes.begin(), bytes.end()); }

// Waits for a collective (0 ms: as long as the group's own timeout lets it run); rethrows its
// error (Gloo's, e.g. "Connection closed by peer").
static void Wait(const c10::intrusive_ptr<c10d::Work>& work, const Napi::Value& timeoutMs) {
  work->wait(timeoutMs.IsUndefined() ? std::chrono::milliseconds(0) : Ms(timeoutMs));
}

static void CheckOnCpu(const at::Tensor& t) {
  if (!t.device().is_cpu()) throw ArgError("Gloo reduces CPU tensors (NCCL, for CUDA, is not built in)");
}

static void CheckOnCpu(const std::vector<at::Tensor>& ts) {
  for (const auto& t : ts) CheckOnCpu(t);
}

static void CheckCpu(const std::vector<at::Tensor>& ts) {
  CheckOnCpu(ts);
  for (const auto& t : ts) {
    if (!t.is_contiguous()) throw ArgError("tensors must be contiguous");
  }
}

// (host, port, isServer, worldSize, timeoutMs) -> the port (the one chosen when 0 was given).
// The server (rank 0) listens on host:port; the others connect, retrying until the timeout.
OP(storeConnect,
  c10d::TCPStoreOptions o;
  const int64_t port = Int(info[1]);
  if (port < 0 || port > 65535) throw ArgError("port must be in [0, 65535], got " + std::to_string(port));
  o.port = static_cast<std::uint16_t>(port);
  o.isServer = Flag(info[2]);
  o.numWorkers = static_cast<std::size_t>(Int(info[3]));
  o.waitWorkers = false;  // the join is checked above, with ranks named
  o.timeout = Ms(info[4]);
  auto s = c10::make_intrusive<c10d::TCPStore>(Str(info[0]), o);
  const int actual = s->getPort();
  delete store;
  store = new c10::intrusive_ptr<c10d::Store>(s);
  return Napi::Number::New(env, actual);
)

OP(storeSet,
  const std::string v = Str(info[1]);
  S().set(Str(info[0]), std::vector<uint8_t>(v.begin(), v.end()));
  return env.Undefined();
)

// Waits for the key up to the store's timeout.
OP(storeGet, return Napi::String::New(env, Text(S().get(Str(info[0])))); )

OP(storeAdd, return Napi::Number::New(env, static_cast<double>(S().add(Str(info[0]), Int(info[1])))); )

// Whether every key is set (does not wait).
OP(storeCheck,
  Napi::Array a = info[0].As<Napi::Array>();
  std::vector<std::string> keys;
  for (uint32_t i = 0; i < a.Length(); i++) keys.push_back(Str(a.Get(i)));
  return Napi::Boolean::New(env, S().check(keys));
)

// (rank, worldSize, timeoutMs, hostname, threads): connects every pair of ranks through the
// store; hostname is the address this rank's Gloo device binds to ('' resolves this machine's).
OP(processGroupInit,
  auto opts = c10d::ProcessGroupGloo::Options::create(Ms(info[2]));
  const std::string host = Str(info[3]);
  opts->devices.push_back(host.empty() ? c10d::ProcessGroupGloo::createDefaultDevice()
                                       : c10d::ProcessGroupGloo::createDeviceForHostname(host));
  opts->threads = static_cast<int>(Int(info[4]));
  S();
  auto prefixed = c10::make_intrusive<c10d::PrefixStore>("gloo", *store);
  auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, static_cast<int>(Int(info[0])), static_cast<int>(Int(info[1])), opts);
  delete group;
  group = new c10::intrusive_ptr<c10d::ProcessGroupGloo>(pg);
  return env.Undefined();
)

// Drops the group and the store (call only when every rank is healthy: a broken group may block).
OP(processGroupDestroy,
  delete group;
  group = nullptr;
  delete store;
  store = nullptr;
  return env.Undefined();
)

// (tensors, op, timeoutMs?): reduces each tensor across ranks in place; op 0 sum, 1 average
// (the sum divided by the world size: Gloo has no average), 2 max, 3 min.
OP(allReduce,
  std::vector<at::Tensor> ts = Tensors(info[0]);
  CheckCpu(ts);
  const int64_t op = Int(info[1]);
  if (op < 0 || op > 3) throw ArgError("op must be 0 (sum), 1 (average), 2 (max) or 3 (min), got " + std::to_string(op));
  c10d::AllreduceOptions o;
  o.reduceOp = op == 2 ? c10d::ReduceOp::MAX : op == 3 ? c10d::ReduceOp::MIN : c10d::ReduceOp::SUM;
  for (auto& t : ts) {
    std::vector<at::Tensor> one{t};
    Wait(G().allreduce(one, o), info[2]);
    if (op == 1) t.div_(G().getSize());
  }
  return env.Undefined();
)

// (tensors, bucketBytes, average, timeoutMs?): sums (or averages) every tensor across ranks in
// place, a bucket at a time: consecutive tensors of one dtype up to bucketBytes are flattened
// into one buffer, reduced as one, and copied back (any memory layout, e.g. channels-last). All
// buckets are in flight together; the buffers are freed on return.
OP(allReduceCoalesced,
  std::vector<at::Tensor> ts = Tensors(info[0]);
  CheckOnCpu(ts);
  const int64_t bucketBytes = Int(info[1]);
  const bool average = Flag(info[2]);
  std::vector<std::vector<at::Tensor>> buckets;
  int64_t bytes = 0;
  for (const auto& t : ts) {
    const int64_t n = static_cast<int64_t>(t.nbytes());
    if (buckets.empty() || bytes + n > bucketBytes || buckets.back().front().scalar_type() != t.scalar_type()) {
      buckets.emplace_back();
      bytes = 0;
    }
    buckets.back().push_back(t);
    bytes += n;
  }
  std::vector<at::Tensor> flats;
  std::vector<bool> inPlace;
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  for (auto& b : buckets) {
    const bool direct = b.size() == 1 && b.front().is_contiguous();
    std::vector<at::Tensor> flat;
    if (direct) {
      flat.push_back(b.front().view({-1}));
    } else {
      std::vector<at::Tensor> rows;
      for (auto& t : b) rows.push_back(t.reshape({-1}));
      flat.push_back(at::cat(rows, 0));
    }
    works.push_back(G().allreduce(flat));
    flats.push_back(flat[0]);
    inPlace.push_back(direct);
  }
  const double scale = 1.0 / G().getSize();
  for (size_t i = 0; i < buckets.size(); i++) {
    Wait(works[i], info[3]);
    at::Tensor& flat = flats[i];
    if (average) flat.mul_(scale);
    if (inPlace[i]) continue;
    int64_t offset = 0;
    for (auto& t : buckets[i]) {
      t.copy_(flat.narrow(0, offset, t.numel()).view(t.sizes()));
      offset += t.numel();
    }
  }
  return env.Undefined();
)

// (tensors, root, timeoutMs?): each tensor takes root's values, in place. Tensors of one dtype
// travel as one message (flattened, copied back), as DDP broadcasts its buffers; any memory
// layout (channels-last weights: copied in and out in logical order).
OP(broadcast,
  std::vector<at::Tensor> ts = Tensors(info[0]);
  CheckOnCpu(ts);
  c10d::BroadcastOptions o;
  o.rootRank = Int(info[1]);
  std::vector<at::ScalarType> dtypes;
  for (const auto& t : ts) {
    if (std::find(dtypes.begin(), dtypes.end(), t.scalar_type()) == dtypes.end()) dtypes.push_back(t.scalar_type());
  }
  for (const auto dtype : dtypes) {
    std::vector<at::Tensor> group, rows;
    for (const auto& t : ts) {
      if (t.scalar_type() == dtype) group.push_back(t), rows.push_back(t.reshape({-1}));
    }
    const bool direct = group.size() == 1 && group.front().is_contiguous();
    std::vector<at::Tensor> flat{direct ? rows.front() : at::cat(rows, 0)};
    Wait(G().broadcast(flat, o), info[2]);
    if (direct) continue;
    int64_t offset = 0;
    for (auto& t : group) {
      t.copy_(flat[0].narrow(0, offset, t.numel()).view(t.sizes()));
      offset += t.numel();
    }
  }
  return env.Undefined();
)

// (timeoutMs?): returns once every rank has called it.
OP(barrier,
  Wait(G().barrier(), info[0]);
  return env.Undefined();
)

// (tensor, timeoutMs?) -> every rank's tensor (of the same shape), in rank order.
OP(allGather,
  at::Tensor t = T(info[0]);
  std::vector<at::Tensor> in{t};
  CheckCpu(in);
  std::vector<std::vector<at::Tensor>> out(1);
  for (int r = 0; r < G().getSize(); r++) out[0].push_back(at::empty_like(t));
  Wait(G().allgather(out, in), info[1]);
  return WrapAll(env, out[0]);
)

// DistributedDataParallel's own gradient reducer (c10d::Reducer, as torch.nn.parallel.DDP builds
// it): hooks on every parameter's gradient accumulator start a bucket's allreduce as soon as its
// gradients are ready, during backward, and the end of backward waits for them and writes the
// averaged gradients back. Held by id until freed (a run may train several times in a process).
static std::map<int64_t, std::shared_ptr<c10d::Reducer>> reducers;
static int64_t nextReducer = 1;

// (params, bucketBytes, firstBucketBytes) -> id. Buckets as DDP's: by size, in reverse order of
// the parameters (the last layers' gradients are ready first), the first one smaller.
OP(reducerNew,
  std::vector<at::Tensor> params = Tensors(info[0]);
  CheckOnCpu(params);
  for (const auto& p : params) {
    if (!p.requires_grad()) throw ArgError("every parameter given to the reducer must require grad");
  }
  const int64_t cap = Int(info[1]), first = Int(info[2]);
  const std::vector<bool> sparse(params.size(), false);
  auto assigned = c10d::compute_bucket_assignment_by_size(params, {static_cast<size_t>(first), static_cast<size_t>(cap)}, sparse);
  auto indices = std::get<0>(assigned);
  auto limits = std::get<1>(assigned);
  std::reverse(indices.begin(), indices.end());
  std::reverse(limits.begin(), limits.end());
  if (!group) throw std::runtime_error("no process group: call processGroupInit first");
  auto pg = c10::intrusive_ptr<c10d::ProcessGroup>(*group);
  auto r = std::make_shared<c10d::Reducer>(params, indices, limits, pg, sparse, cap, false, false, std::unordered_map<size_t, std::string>(), first);
  const int64_t id = nextReducer++;
  reducers[id] = r;
  return Napi::Number::New(env, static_cast<double>(id));
)

static c10d::Reducer& R(const Napi::Value& v) {
  auto it = reducers.find(Int(v));
  if (it == reducers.end()) throw ArgError("no such reducer (freed?)");
  return *it->second;
}

// (id): before each backward whose gradients are to be averaged (DDP's forward does this);
// after the first step the buckets are rebuilt in the order the gradients became ready.
OP(reducerPrepare,
  c10d::Reducer& r = R(info[0]);
  r.rebuild_buckets();
  r.prepare_for_backward({});
  return env.Undefined();
)

OP(reducerFree,
  reducers.erase(Int(info[0]));
  return env.Undefined();
)

// The sum across ranks, differentiable: its gradient is the sum across ranks of the output's
// gradient (every rank's loss depends on every rank's input through the sum). SyncBatchNorm's
// statistics go through it; torch.distributed.nn.functional.all_reduce is the same function.
struct AllReduceSumFunction : public torch::autograd::Function<AllReduceSumFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext*, const at::Tensor& x) {
    std::vector<at::Tensor> v{x.contiguous().clone()};
    G().allreduce(v)->wait();
    return v[0];
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext*, torch::autograd::variable_list g) {
    std::vector<at::Tensor> v{g[0].contiguous().clone()};
    G().allreduce(v)->wait();
    return {v[0]};
  }
};

// (tensor) -> a new tensor, its sum across ranks, recorded for autograd.
OP(allReduceSumDifferentiable,
  at::Tensor x = T(info[0]);
  CheckOnCpu(x);
  return Wrap(env, AllReduceSumFunction::apply(x));
)

OP(distAvailable, return Napi::Boolean::New(env, true); )

#else

static const char* kNoGloo =
    "this build of the native addon has no Gloo, so no distributed bindings: install Debian "
    "libgloo-dev (scripts/setup.sh does) and rebuild it (npm run build)";
#define NO_GLOO(NAME) OP(NAME, throw std::runtime_error(kNoGloo);)
NO_GLOO(storeConnect)
NO_GLOO(storeSet)
NO_GLOO(storeGet)
NO_GLOO(storeAdd)
NO_GLOO(storeCheck)
NO_GLOO(processGroupInit)
NO_GLOO(processGroupDestroy)
NO_GLOO(allReduce)
NO_GLOO(allReduceCoalesced)
NO_GLOO(broadcast)
NO_GLOO(barrier)
NO_GLOO(allGather)
NO_GLOO(reducerNew)
NO_GLOO(reducerPrepare)
NO_GLOO(reducerFree)
NO_GLOO(allReduceSumDifferentiable)
OP(distAvailable, return Napi::Boolean::New(env, false); )

#endif

void RegisterDistributed(Napi::Env env, Napi::Object exports) {
  EXPORT(storeConnect);
  EXPORT(storeSet);
  EXPORT(storeGet);
  EXPORT(storeAdd);
  EXPORT(storeCheck);
  EXPORT(processGroupInit);
  EXPORT(processGroupDestroy);
  EXPORT(allReduce);
  EXPORT(allReduceCoalesced);
  EXPORT(broadcast);
  EXPORT(barrier);
  EXPORT(allGather);
  EXPORT(reducerNew);
  EXPORT(reducerPrepare);
  EXPORT(reducerFree);
  EXPORT(allReduceSumDifferentiable);
  EXPORT(distAvailable);
}

}  // namespace selfsup
