// Shared helpers: errno -> JS error objects, argument checks.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

namespace balloon {

// Name of an errno value ("ENOSYS"), or "E<number>" when unknown.
std::string ErrnoName(int err);

// An Error whose `code` is the errno name, `errno` the (positive) number and
// `syscall` the name of the failing call. The TypeScript wrapper replaces the
// message with one that says what to do.
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall);

// Argument helpers: they throw TypeError / RangeError (as JS exceptions, via
// C++ exceptions: the addon is built with NAPI_CPP_EXCEPTIONS).
uint64_t ArgBigUint64(const Napi::CallbackInfo& info, size_t i, const char* what);
uint64_t ArgSize(const Napi::CallbackInfo& info, size_t i, const char* what);
int32_t ArgInt32(const Napi::CallbackInfo& info, size_t i, const char* what);
uint32_t ArgUint32Or(const Napi::CallbackInfo& info, size_t i, const char* what,
                     uint32_t fallback);

[[noreturn]] void ThrowType(Napi::Env env, const std::string& msg);
[[noreturn]] void ThrowRange(Napi::Env env, const std::string& msg);

size_t PageSize();
constexpr size_t kHugePageSize = 2u << 20;  // 2 MiB (x86_64 / arm64 4K PMD)

void InitSignals(Napi::Env env, Napi::Object exports);
void InitRegions(Napi::Env env, Napi::Object exports);
void InitSyscalls(Napi::Env env, Napi::Object exports);
void InitTesting(Napi::Env env, Napi::Object exports);

// Region registry lookup used by swap-out validation: true when
// [start, start+len) lies inside one live (not freed) region.
bool RangeInLiveRegion(uint64_t start, uint64_t len);

}  // namespace balloon
