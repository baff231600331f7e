// Kernel ABI seen by the addon.
//
// The uapi header of the kernel patch series is included from the source tree
// (binding.gyp puts kernel-patch/include on the include path); nothing from it
// is copied here. When the header is absent the addon still builds: the
// syscall wrappers then fail with ENOSYS without entering the kernel, and
// SIGBALLOON falls back to a real-time signal chosen at run time.
#pragma once

#include <signal.h>
#include <sys/syscall.h>

#include <cstdint>

#if defined(__has_include)
#if __has_include(<uapi/linux/balloon.h>)
#include <uapi/linux/balloon.h>
#define BALLOON_HAVE_UAPI 1
#endif
#endif

#ifndef BALLOON_HAVE_UAPI
#define BALLOON_HAVE_UAPI 0
#endif

namespace balloon {

// The signal number the addon listens on by default.
int DefaultSignal();
// True when DefaultSignal() comes from the kernel header.
bool SignalFromHeader();
// Writes the header's payload encoding (pages requested, free pages) into si_value;
// false (and no change) without the header.
bool FillPayload(siginfo_t* si, uint64_t pages, uint64_t free_pages);

}  // namespace balloon

namespace Napi {
class Env;
class Object;
}  // namespace Napi

namespace balloon {
// exports.constants: the header's constants ({} without the header).
void ExportConstants(Napi::Env env, Napi::Object exports);
}  // namespace balloon
