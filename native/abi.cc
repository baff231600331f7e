// The only file that interprets the kernel header (kernel-patch/include/uapi/linux/balloon.h):
// SIGBALLOON, the siginfo payload macros and the constants exported to JavaScript.
#include "abi.h"

#include <string.h>

#include "signals.h"

namespace balloon {

int DefaultSignal() {
#if defined(SIGBALLOON)
  return SIGBALLOON;
#else
  // No header: a real-time signal above glibc's reserved ones, so that signals queue.
  return SIGRTMIN + 2;
#endif
}

bool SignalFromHeader() {
#if defined(SIGBALLOON)
  return true;
#else
  return false;
#endif
}

void ExtractPayload(const siginfo_t* si, SignalEvent* ev) {  // async-signal-safe
  ev->code = si->si_code;
  ev->pid = si->si_pid;
  ev->uid = si->si_uid;
  ev->value = reinterpret_cast<uint64_t>(si->si_value.sival_ptr);
#if BALLOON_HAVE_UAPI && defined(BALLOON_SI_PAGES_REQUESTED) && defined(BALLOON_SI_FREE_PAGES)
  ev->pages = BALLOON_SI_PAGES_REQUESTED(si);
  ev->free_pages = BALLOON_SI_FREE_PAGES(si);
  ev->has_payload = 1;
#else
  ev->has_payload = 0;  // JavaScript gets the raw si_value only
#endif
}

Napi::Object EventToObject(Napi::Env env, const SignalEvent& ev) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("seq", Napi::Number::New(env, static_cast<double>(ev.seq)));
  o.Set("signo", Napi::Number::New(env, ev.signo));
  o.Set("code", Napi::Number::New(env, ev.code));
  o.Set("pid", Napi::Number::New(env, ev.pid));
  o.Set("uid", Napi::Number::New(env, ev.uid));
  o.Set("tid", Napi::Number::New(env, ev.tid));
  o.Set("value", Napi::BigInt::New(env, ev.value));
  o.Set("timestampNs", Napi::BigInt::New(env, ev.timestamp_ns));
  if (ev.has_payload) {
    o.Set("pages", Napi::Number::New(env, static_cast<double>(ev.pages)));
    o.Set("freePages", Napi::Number::New(env, static_cast<double>(ev.free_pages)));
  }
#if defined(BALLOON_SI_CODE)
  o.Set("fromKernel", Napi::Boolean::New(env, ev.code == BALLOON_SI_CODE));
#endif
  return o;
}

bool FillPayload(siginfo_t* si, uint64_t pages, uint64_t free_pages) {
#if BALLOON_HAVE_UAPI && defined(BALLOON_SIGVAL)
  si->si_value.sival_ptr = reinterpret_cast<void*>(static_cast<unsigned long>(BALLOON_SIGVAL(pages, free_pages)));
  return true;
#else
  (void)si;
  (void)pages;
  (void)free_pages;
  return false;
#endif
}

void ExportConstants(Napi::Env env, Napi::Object exports) {
  Napi::Object c = Napi::Object::New(env);
  auto set = [&](const char* name, double v) { c.Set(name, Napi::Number::New(env, v)); };
#if BALLOON_HAVE_UAPI
  set("SIGBALLOON", SIGBALLOON);
  set("BALLOON_SI_CODE", BALLOON_SI_CODE);
  set("BALLOON_REGISTER", BALLOON_REGISTER);
  set("BALLOON_UNREGISTER", BALLOON_UNREGISTER);
  set("BALLOON_QUERY", BALLOON_QUERY);
  set("BALLOON_MAX_REGISTERED", BALLOON_MAX_REGISTERED);
  set("BALLOON_SWAPOUT_ASYNC", BALLOON_SWAPOUT_ASYNC);
  set("BALLOON_SWAPOUT_THP_SPLIT", BALLOON_SWAPOUT_THP_SPLIT);
  set("BALLOON_SWAPOUT_THP_NOSPLIT", BALLOON_SWAPOUT_THP_NOSPLIT);
  set("BALLOON_SWAPOUT_FLAGS", BALLOON_SWAPOUT_FLAGS);
  set("BALLOON_SWAPOUT_MAX_RANGES", BALLOON_SWAPOUT_MAX_RANGES);
  set("BALLOON_SWAPOUT_MAX_PAGES", BALLOON_SWAPOUT_MAX_PAGES);
#if defined(__NR_balloon_ctl)
  set("__NR_balloon_ctl", __NR_balloon_ctl);
#endif
#if defined(__NR_balloon_swapout)
  set("__NR_balloon_swapout", __NR_balloon_swapout);
#endif
#endif
  exports.Set("constants", c);
}

}  // namespace balloon
