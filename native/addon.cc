// app-balloon native addon: SIGBALLOON delivery, memory regions, balloon syscalls.
#include <napi.h>

#include "abi.h"
#include "common.h"

namespace balloon {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitRegions(env, exports);  // sets the instance data: must come first
  InitSignals(env, exports);
  InitSyscalls(env, exports);
  InitTesting(env, exports);
  exports.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
  exports.Set("haveUapiHeader", Napi::Boolean::New(env, BALLOON_HAVE_UAPI != 0));
  return exports;
}

}  // namespace balloon

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return balloon::Init(env, exports); }

NODE_API_MODULE(balloon, InitAddon)
