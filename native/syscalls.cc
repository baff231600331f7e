// The balloon syscalls: balloon_ctl (register / unregister / query) and balloon_swapout.
//
// Arguments are validated before any syscall (TypeError / RangeError); the TypeScript
// wrapper validates first and turns errno errors into messages that say what to do.
//
// The syscall numbers of the patch series are new on its base kernel (5.11) and belong to
// unrelated syscalls on newer kernels (442 is mount_setattr and 443 quotactl_fd since 5.12).
// So a balloon syscall is entered only on a kernel that looks patched (a -balloon release
// or /sys/kernel/mm/balloon); anywhere else it fails with ENOSYS without entering the kernel.
#include <errno.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "abi.h"
#include "common.h"

namespace balloon {

namespace {

#if BALLOON_HAVE_UAPI && defined(__NR_balloon_ctl) && defined(__NR_balloon_swapout)
#define BALLOON_HAVE_SYSCALLS 1
using RangeT = struct balloon_range;
using ResultT = struct balloon_swapout_result;
constexpr uint32_t kMaxRanges = BALLOON_SWAPOUT_MAX_RANGES;
constexpr uint64_t kMaxPages = BALLOON_SWAPOUT_MAX_PAGES;
constexpr uint32_t kKnownFlags = BALLOON_SWAPOUT_FLAGS;
constexpr uint32_t kSplit = BALLOON_SWAPOUT_THP_SPLIT, kNoSplit = BALLOON_SWAPOUT_THP_NOSPLIT;
#else
#define BALLOON_HAVE_SYSCALLS 0
struct RangeT {
  uint64_t start, length;
};
struct ResultT {};
constexpr uint32_t kMaxRanges = UINT32_MAX;
constexpr uint64_t kMaxPages = UINT64_MAX;
constexpr uint32_t kKnownFlags = UINT32_MAX;
constexpr uint32_t kSplit = 0, kNoSplit = 0;
#endif

struct Probe {
  bool patched;
  std::string release;
};

Probe KernelProbe() {
  Probe p{false, ""};
  struct utsname u;
  if (uname(&u) == 0) p.release = u.release;
  const std::string suffix = "-balloon";
  bool by_release = p.release.size() >= suffix.size() &&
                    p.release.compare(p.release.size() - suffix.size(), suffix.size(), suffix) == 0;
  bool by_sysfs = access("/sys/kernel/mm/balloon", F_OK) == 0;
  p.patched = by_release || by_sysfs;
  return p;
}

bool KernelPatched() {
  static const bool patched = KernelProbe().patched;
  return patched;
}

// errno-style result of one syscall: rc >= 0, or err != 0.
struct SysResult {
  long rc = 0;
  int err = 0;
};

SysResult DoCtl(uint32_t op, uint32_t flags) {
  SysResult r;
#if BALLOON_HAVE_SYSCALLS
  if (KernelPatched()) {
    r.rc = syscall(__NR_balloon_ctl, op, flags);
    if (r.rc < 0) r.err = errno;
    return r;
  }
#else
  (void)op;
  (void)flags;
#endif
  r.rc = -1;
  r.err = ENOSYS;
  return r;
}

struct SwapOutOutcome {
  SysResult sys;
  ResultT res{};
};

void DoSwapOut(const std::vector<RangeT>& ranges, uint32_t flags, SwapOutOutcome* out) {
  memset(&out->res, 0, sizeof out->res);
#if BALLOON_HAVE_SYSCALLS
  if (KernelPatched()) {
    out->sys.rc = syscall(__NR_balloon_swapout, ranges.data(), static_cast<unsigned int>(ranges.size()), flags,
                          &out->res);
    if (out->sys.rc < 0) out->sys.err = errno;
    return;
  }
#else
  (void)ranges;
  (void)flags;
#endif
  out->sys.rc = -1;
  out->sys.err = ENOSYS;
}

// Copies and validates [start, length, start, length, ...]. Throws before any syscall.
std::vector<RangeT> ParseRanges(const Napi::CallbackInfo& info, size_t i) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_biguint64_array)
    ThrowType(env, "ranges must be a BigUint64Array of [start, length] pairs");
  auto arr = info[i].As<Napi::BigUint64Array>();
  size_t n = arr.ElementLength();
  if (n == 0 || n % 2 != 0) ThrowRange(env, "ranges must hold a non-zero, even number of values (start/length pairs)");
  if (n / 2 > kMaxRanges)
    ThrowRange(env, "at most " + std::to_string(kMaxRanges) + " ranges per call, got " + std::to_string(n / 2));
  std::vector<RangeT> out;
  out.reserve(n / 2);
  const uint64_t page = PageSize();
  uint64_t pages = 0;
  for (size_t k = 0; k < n; k += 2) {
    uint64_t start = arr[k], len = arr[k + 1];
    std::string which = "range " + std::to_string(k / 2);
    if (start % page != 0) ThrowRange(env, which + ": start is not page-aligned");
    if (len == 0 || len % page != 0) ThrowRange(env, which + ": length must be a non-zero multiple of the page size");
    if (start + len < start) ThrowRange(env, which + ": start + length overflows");
    if (!RangeInLiveRegion(start, len)) ThrowRange(env, which + ": not inside a live memory region");
    pages += len / page;
    RangeT r;
    memset(&r, 0, sizeof r);
    r.start = start;
    r.length = len;
    out.push_back(r);
  }
  if (pages > kMaxPages)
    ThrowRange(env, "at most " + std::to_string(kMaxPages) + " pages per call, got " + std::to_string(pages));
  return out;
}

uint32_t ParseFlags(const Napi::CallbackInfo& info, size_t i) {
  uint32_t flags = ArgUint32Or(info, i, "flags", 0);
  if ((flags & ~kKnownFlags) != 0) ThrowRange(info.Env(), "flags has bits the kernel header does not define");
  if (kSplit != 0 && (flags & kSplit) && (flags & kNoSplit))
    ThrowRange(info.Env(), "flags: THP_SPLIT and THP_NOSPLIT exclude each other");
  return flags;
}

Napi::Value SwapOutToJs(Napi::Env env, const SwapOutOutcome& o) {
  Napi::Object r = Napi::Object::New(env);
  auto num = [&](const char* k, uint64_t v) { r.Set(k, Napi::Number::New(env, static_cast<double>(v))); };
  num("freed", static_cast<uint64_t>(o.sys.rc));
#if BALLOON_HAVE_SYSCALLS
  num("pagesRequested", o.res.pages_requested);
  num("pagesFreed", o.res.pages_freed);
  num("skippedSwapped", o.res.skipped_swapped);
  num("skippedShared", o.res.skipped_shared);
  num("skippedLocked", o.res.skipped_locked);
  num("skippedNotPresent", o.res.skipped_not_present);
  num("skippedThp", o.res.skipped_thp);
  num("failed", o.res.failed);
  num("thpWhole", o.res.thp_whole);
  num("thpSplit", o.res.thp_split);
  r.Set("elapsedNs", Napi::BigInt::New(env, static_cast<uint64_t>(o.res.elapsed_ns)));
#endif
  return r;
}

class SwapOutWorker : public Napi::AsyncWorker {
 public:
  SwapOutWorker(Napi::Env env, std::vector<RangeT> ranges, uint32_t flags)
      : Napi::AsyncWorker(env, "balloonSwapOut"),
        deferred_(Napi::Promise::Deferred::New(env)),
        ranges_(std::move(ranges)),
        flags_(flags) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  // On a libuv pool thread: the syscall waits for swap I/O.
  void Execute() override { DoSwapOut(ranges_, flags_, &outcome_); }
  void OnOK() override {
    Napi::Env env = Env();
    if (outcome_.sys.err != 0)
      deferred_.Reject(ErrnoError(env, outcome_.sys.err, "balloon_swapout").Value());
    else
      deferred_.Resolve(SwapOutToJs(env, outcome_));
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::vector<RangeT> ranges_;
  uint32_t flags_;
  SwapOutOutcome outcome_;
};

Napi::Value SwapOut(const Napi::CallbackInfo& info) {
  auto ranges = ParseRanges(info, 0);
  uint32_t flags = ParseFlags(info, 1);
  auto* w = new SwapOutWorker(info.Env(), std::move(ranges), flags);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value SwapOutSync(const Napi::CallbackInfo& info) {
  auto ranges = ParseRanges(info, 0);
  uint32_t flags = ParseFlags(info, 1);
  SwapOutOutcome o;
  DoSwapOut(ranges, flags, &o);
  if (o.sys.err != 0) throw ErrnoError(info.Env(), o.sys.err, "balloon_swapout");
  return SwapOutToJs(info.Env(), o);
}

// balloonCtl(op, flags = 0) -> return value of balloon_ctl.
Napi::Value Ctl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || info[0].IsUndefined()) ThrowType(env, "op must be a number");
  uint32_t op = ArgUint32Or(info, 0, "op", 0);
  uint32_t flags = ArgUint32Or(info, 1, "flags", 0);
  SysResult r = DoCtl(op, flags);
  if (r.err != 0) throw ErrnoError(env, r.err, "balloon_ctl");
  return Napi::Number::New(env, static_cast<double>(r.rc));
}

Napi::Value KernelProbeJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Probe p = KernelProbe();
  Napi::Object o = Napi::Object::New(env);
  o.Set("release", Napi::String::New(env, p.release));
  o.Set("patched", Napi::Boolean::New(env, p.patched));
  o.Set("syscallsCompiled", Napi::Boolean::New(env, BALLOON_HAVE_SYSCALLS != 0));
  return o;
}

}  // namespace

void InitSyscalls(Napi::Env env, Napi::Object exports) {
  exports.Set("kernelProbe", Napi::Function::New(env, KernelProbeJs, "kernelProbe"));
  exports.Set("sysCtl", Napi::Function::New(env, Ctl, "sysCtl"));
  exports.Set("sysSwapOut", Napi::Function::New(env, SwapOut, "sysSwapOut"));
  exports.Set("sysSwapOutSync", Napi::Function::New(env, SwapOutSync, "sysSwapOutSync"));
  ExportConstants(env, exports);
}

}  // namespace balloon
