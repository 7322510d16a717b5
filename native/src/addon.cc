// Module entry: registers every group of bindings.
#include "common.h"

#include <c10/util/Logging.h>
#include <functional>

using namespace selfsup;

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // libtorch captures and symbolises a C++ stack trace for every error it throws
  // (about 0.3 ms each in 1.13); our messages never show it, so skip it.
  std::function<std::string()> noStackTrace = [] { return std::string(); };
  c10::SetStackTraceFetcher(noStackTrace);
  RegisterHandle(env, exports);
  RegisterCreate(env, exports);
  RegisterMath(env, exports);
  RegisterShape(env, exports);
  RegisterNN(env, exports);
  RegisterAutograd(env, exports);
  RegisterCluster(env, exports);
  RegisterDistributed(env, exports);
  return exports;
}

NODE_API_MODULE(selfsup_native, Init)
