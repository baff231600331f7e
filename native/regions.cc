// Memory regions: anonymous private mappings shared by every thread of the process.
//
// A region is registered process-wide by its start address. Each Node.js environment
// (main thread, each worker) that wants to touch it wraps the same memory in its own
// external ArrayBuffer (regionAlloc in the allocating thread, regionAttach(address) in
// the others) and keeps it until regionRelease / regionFree / environment teardown.
// The mapping is unmapped only when it has been freed and no environment still holds
// an ArrayBuffer over it, so no JavaScript object ever points at unmapped memory:
//  - regionFree detaches this environment's ArrayBuffer (byteLength becomes 0);
//  - ArrayBuffers in other environments stay valid: the pages are dropped at once
//    (MADV_DONTNEED: memory goes back to the kernel, reads see zeroes) and the range is
//    unmapped when the last of them is released.
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "common.h"

namespace balloon {

namespace {

enum Advice : uint32_t { kAdviceNone = 0, kAdviceHuge = 1, kAdviceNoHuge = 2 };

struct Region {
  uint64_t addr;
  uint64_t size;
  uint32_t advice;
  bool freed;
  uint32_t attachments;  // environments holding an ArrayBuffer over it
};

std::mutex g_mu;
// Heap-allocated and never destroyed: worker threads may still use it at exit.
std::map<uint64_t, Region>& Registry() {
  static auto* m = new std::map<uint64_t, Region>();
  return *m;
}

struct EnvRegions {
  std::map<uint64_t, Napi::Reference<Napi::ArrayBuffer>> buffers;
};

EnvRegions* GetEnvRegions(Napi::Env env) { return env.GetInstanceData<EnvRegions>(); }

// Caller holds g_mu.
void DropAttachment(uint64_t addr) {
  auto& reg = Registry();
  auto it = reg.find(addr);
  if (it == reg.end()) return;
  if (it->second.attachments > 0) it->second.attachments--;
  if (it->second.freed && it->second.attachments == 0) {
    munmap(reinterpret_cast<void*>(it->second.addr), it->second.size);
    reg.erase(it);
  }
}

Napi::Object Describe(Napi::Env env, const Region& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("address", Napi::BigInt::New(env, r.addr));
  o.Set("size", Napi::Number::New(env, static_cast<double>(r.size)));
  o.Set("advice", Napi::Number::New(env, r.advice));
  o.Set("freed", Napi::Boolean::New(env, r.freed));
  o.Set("attachments", Napi::Number::New(env, r.attachments));
  return o;
}

// Wraps the region in an ArrayBuffer for this environment (or returns the one it has).
// Caller holds g_mu; the region is live.
Napi::Object Wrap(Napi::Env env, Region& r) {
  EnvRegions* er = GetEnvRegions(env);
  auto it = er->buffers.find(r.addr);
  Napi::ArrayBuffer ab;
  if (it != er->buffers.end()) {
    ab = it->second.Value();
  } else {
    // No finalizer: the registry, not the garbage collector, decides when to unmap.
    ab = Napi::ArrayBuffer::New(env, reinterpret_cast<void*>(r.addr), r.size);
    er->buffers.emplace(r.addr, Napi::Reference<Napi::ArrayBuffer>::New(ab, 1));
    r.attachments++;
  }
  Napi::Object o = Describe(env, r);
  o.Set("buffer", ab);
  return o;
}

Napi::Value Alloc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t size = ArgSize(info, 0, "size");
  uint32_t advice = ArgUint32Or(info, 1, "advice", kAdviceNone);
  if (advice > kAdviceNoHuge) ThrowRange(env, "advice must be 0 (none), 1 (MADV_HUGEPAGE) or 2 (MADV_NOHUGEPAGE)");
  if (size == 0) ThrowRange(env, "size must be greater than 0");
  uint64_t align = advice == kAdviceHuge ? kHugePageSize : PageSize();
  if (size % align != 0)
    ThrowRange(env, "size must be a multiple of " + std::to_string(align) + " bytes, got " + std::to_string(size));

  uint64_t map_len = advice == kAdviceHuge ? size + kHugePageSize : size;
  void* p = mmap(nullptr, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw ErrnoError(env, errno, "mmap");
  uint64_t start = reinterpret_cast<uint64_t>(p);
  if (advice == kAdviceHuge) {  // trim to a 2 MiB-aligned window
    uint64_t aligned = (start + kHugePageSize - 1) & ~(static_cast<uint64_t>(kHugePageSize) - 1);
    if (aligned > start) munmap(p, aligned - start);
    uint64_t tail = (start + map_len) - (aligned + size);
    if (tail > 0) munmap(reinterpret_cast<void*>(aligned + size), tail);
    start = aligned;
  }
  if (advice != kAdviceNone) {
    int rc = madvise(reinterpret_cast<void*>(start), size, advice == kAdviceHuge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    if (rc != 0) {
      int err = errno;
      munmap(reinterpret_cast<void*>(start), size);
      throw ErrnoError(env, err, "madvise");
    }
  }
  std::lock_guard<std::mutex> lock(g_mu);
  Region& r = Registry()[start] = Region{start, size, advice, false, 0};
  return Wrap(env, r);
}

// mlock / munlock of the pages under an ArrayBuffer's memory (rounded out to whole pages):
// the agent keeps its own per-page arrays resident. Returns the bytes covered.
Napi::Value LockBuffer(const Napi::CallbackInfo& info, bool lock) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArrayBuffer()) ThrowType(env, "buffer must be an ArrayBuffer");
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  uint64_t page = PageSize();
  uint64_t data = reinterpret_cast<uint64_t>(ab.Data());
  uint64_t len = ab.ByteLength();
  if (data == 0 || len == 0) return Napi::Number::New(env, 0);
  uint64_t start = data & ~(page - 1);
  uint64_t end = (data + len + page - 1) & ~(page - 1);
  void* p = reinterpret_cast<void*>(start);
  if ((lock ? mlock(p, end - start) : munlock(p, end - start)) != 0) throw ErrnoError(env, errno, lock ? "mlock" : "munlock");
  return Napi::Number::New(env, static_cast<double>(end - start));
}

Napi::Value LockArrayBuffer(const Napi::CallbackInfo& info) { return LockBuffer(info, true); }
Napi::Value UnlockArrayBuffer(const Napi::CallbackInfo& info) { return LockBuffer(info, false); }

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 0x01
#endif

// mlock2(address, length, MLOCK_ONFAULT) / munlock of a page-aligned range of this
// process's mappings (the agent keeps the code it runs resident: the pages already in
// memory now, the others from their first use). Returns the bytes covered.
Napi::Value LockRange(const Napi::CallbackInfo& info, bool lock) {
  Napi::Env env = info.Env();
  uint64_t addr = ArgBigUint64(info, 0, "address");
  uint64_t len = ArgSize(info, 1, "length");
  uint64_t page = PageSize();
  if (addr % page != 0 || len % page != 0 || len == 0)
    ThrowRange(env, "address and length must be positive multiples of " + std::to_string(page) + " bytes");
  void* p = reinterpret_cast<void*>(addr);
  long rc = lock ? syscall(SYS_mlock2, p, len, MLOCK_ONFAULT) : munlock(p, len);
  if (rc != 0) throw ErrnoError(env, errno, lock ? "mlock2" : "munlock");
  return Napi::Number::New(env, static_cast<double>(len));
}

Napi::Value LockRangeOnFault(const Napi::CallbackInfo& info) { return LockRange(info, true); }
Napi::Value UnlockRange(const Napi::CallbackInfo& info) { return LockRange(info, false); }

Napi::Value Attach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t addr = ArgBigUint64(info, 0, "address");
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = Registry().find(addr);
  if (it == Registry().end() || it->second.freed)
    ThrowRange(env, "no live region starts at address 0x" + [&] {
      char b[32];
      snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(addr));
      return std::string(b);
    }());
  return Wrap(env, it->second);
}

// Detaches and forgets this environment's ArrayBuffer. Caller holds g_mu.
bool ReleaseLocal(Napi::Env env, uint64_t addr) {
  EnvRegions* er = GetEnvRegions(env);
  auto it = er->buffers.find(addr);
  if (it == er->buffers.end()) return false;
  Napi::ArrayBuffer ab = it->second.Value();
  if (!ab.IsEmpty() && !ab.IsDetached()) ab.Detach();
  er->buffers.erase(it);
  DropAttachment(addr);
  return true;
}

Napi::Value Release(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t addr = ArgBigUint64(info, 0, "address");
  std::lock_guard<std::mutex> lock(g_mu);
  return Napi::Boolean::New(env, ReleaseLocal(env, addr));
}

Napi::Value Free(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t addr = ArgBigUint64(info, 0, "address");
  std::lock_guard<std::mutex> lock(g_mu);
  auto& reg = Registry();
  auto it = reg.find(addr);
  if (it == reg.end()) return Napi::Boolean::New(env, false);
  if (it->second.freed) {  // freed by another thread: still give up this thread's view
    ReleaseLocal(env, addr);
    return Napi::Boolean::New(env, false);
  }
  Region& r = it->second;
  r.freed = true;
  uint64_t start = r.addr, size = r.size;
  ReleaseLocal(env, addr);  // may unmap and erase r
  auto again = reg.find(addr);
  if (again != reg.end()) {
    // Other environments still hold ArrayBuffers over it: give the memory back now,
    // unmap when the last one lets go.
    madvise(reinterpret_cast<void*>(start), size, MADV_DONTNEED);
  }
  return Napi::Boolean::New(env, true);
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t addr = ArgBigUint64(info, 0, "address");
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = Registry().find(addr);
  if (it == Registry().end()) return env.Undefined();
  Napi::Object o = Describe(env, it->second);
  o.Set("attachedHere", Napi::Boolean::New(env, GetEnvRegions(env)->buffers.count(addr) > 0));
  return o;
}

Napi::Value List(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::lock_guard<std::mutex> lock(g_mu);
  Napi::Array arr = Napi::Array::New(env);
  uint32_t i = 0;
  for (auto& kv : Registry())
    if (!kv.second.freed) arr.Set(i++, Describe(env, kv.second));
  return arr;
}

}  // namespace

bool RangeInLiveRegion(uint64_t start, uint64_t len) {
  std::lock_guard<std::mutex> lock(g_mu);
  auto& reg = Registry();
  auto it = reg.upper_bound(start);
  if (it == reg.begin()) return false;
  --it;
  const Region& r = it->second;
  if (r.freed) return false;
  return start >= r.addr && len <= r.size && start - r.addr <= r.size - len;
}

void InitRegions(Napi::Env env, Napi::Object exports) {
  auto* er = new EnvRegions();
  env.SetInstanceData<EnvRegions>(er);  // deleted (with its references) when the env goes
  // Before the env is torn down, give up this environment's ArrayBuffers so that
  // freed regions get unmapped once nobody else holds them.
  napi_add_env_cleanup_hook(
      env,
      [](void* arg) {
        auto* er = static_cast<EnvRegions*>(arg);
        std::lock_guard<std::mutex> lock(g_mu);
        for (auto& kv : er->buffers) DropAttachment(kv.first);
        for (auto& kv : er->buffers) kv.second.SuppressDestruct();
        er->buffers.clear();
      },
      er);
  exports.Set("regionAlloc", Napi::Function::New(env, Alloc, "regionAlloc"));
  exports.Set("regionAttach", Napi::Function::New(env, Attach, "regionAttach"));
  exports.Set("regionRelease", Napi::Function::New(env, Release, "regionRelease"));
  exports.Set("regionFree", Napi::Function::New(env, Free, "regionFree"));
  exports.Set("regionInfo", Napi::Function::New(env, Info, "regionInfo"));
  exports.Set("regionList", Napi::Function::New(env, List, "regionList"));
  exports.Set("lockArrayBuffer", Napi::Function::New(env, LockArrayBuffer, "lockArrayBuffer"));
  exports.Set("unlockArrayBuffer", Napi::Function::New(env, UnlockArrayBuffer, "unlockArrayBuffer"));
  exports.Set("lockRangeOnFault", Napi::Function::New(env, LockRangeOnFault, "lockRangeOnFault"));
  exports.Set("unlockRange", Napi::Function::New(env, UnlockRange, "unlockRange"));
  exports.Set("pageSize", Napi::Number::New(env, static_cast<double>(PageSize())));
  exports.Set("hugePageSize", Napi::Number::New(env, static_cast<double>(kHugePageSize)));
}

}  // namespace balloon
