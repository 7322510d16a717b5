// Module entry: registers every group of bindings.
#include "common.h"

using namespace selfsup;

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  RegisterHandle(env, exports);
  RegisterCreate(env, exports);
  RegisterMath(env, exports);
  RegisterShape(env, exports);
  RegisterNN(env, exports);
  RegisterAutograd(env, exports);
  return exports;
}

NODE_API_MODULE(selfsup_native, Init)
