#include "common.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <cmath>
#include <limits>

namespace balloon {

std::string ErrnoName(int err) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char* name = strerrorname_np(err);
  if (name != nullptr) return name;
#endif
  return "E" + std::to_string(err);
}

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall) {
  char buf[256];
  // GNU strerror_r returns a pointer; XSI returns int. Handle both.
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
  const char* text = strerror_r(err, buf, sizeof buf);
#else
  const char* text = strerror_r(err, buf, sizeof buf) == 0 ? buf : "unknown error";
#endif
  std::string code = ErrnoName(err);
  Napi::Error e = Napi::Error::New(env, std::string(syscall) + " failed: " + code + " (" + text + ")");
  e.Set("code", Napi::String::New(env, code));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

void ThrowType(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }
void ThrowRange(Napi::Env env, const std::string& msg) { throw Napi::RangeError::New(env, msg); }

uint64_t ArgBigUint64(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsBigInt()) ThrowType(env, std::string(what) + " must be a bigint");
  bool lossless = false;
  uint64_t v = info[i].As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) ThrowRange(env, std::string(what) + " must be a bigint in [0, 2^64)");
  return v;
}

uint64_t ArgSize(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsNumber()) ThrowType(env, std::string(what) + " must be a number");
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < 0 || d > 9007199254740991.0)
    ThrowRange(env, std::string(what) + " must be a non-negative safe integer");
  return static_cast<uint64_t>(d);
}

int32_t ArgInt32(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsNumber()) ThrowType(env, std::string(what) + " must be a number");
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < std::numeric_limits<int32_t>::min() ||
      d > std::numeric_limits<int32_t>::max())
    ThrowRange(env, std::string(what) + " must be a 32-bit integer");
  return static_cast<int32_t>(d);
}

uint32_t ArgUint32Or(const Napi::CallbackInfo& info, size_t i, const char* what, uint32_t fallback) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || info[i].IsUndefined()) return fallback;
  if (!info[i].IsNumber()) ThrowType(env, std::string(what) + " must be a number");
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < 0 || d > 4294967295.0)
    ThrowRange(env, std::string(what) + " must be an unsigned 32-bit integer");
  return static_cast<uint32_t>(d);
}

size_t PageSize() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

}  // namespace balloon
