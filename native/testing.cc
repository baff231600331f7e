// Test helpers: send SIGBALLOON-like signals to this process with a chosen payload,
// process-directed or directed at one thread (including a native thread that no
// JavaScript runs on). Used by test/unit/native and scripts/bench-signal.ts.
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

#include "abi.h"
#include "common.h"
#include "signals.h"

namespace balloon {

namespace {

struct Payload {
  int signo;
  int code;
  uint64_t value;
  uint64_t pages;
  uint64_t free_pages;
  bool encode;  // pages/freePages given: si_value = BALLOON_SIGVAL(pages, freePages)
};

Payload ParsePayload(const Napi::CallbackInfo& info, size_t i) {
  Napi::Env env = info.Env();
  Payload p{DefaultSignal(), SI_QUEUE, 0, 0, 0, false};
  if (info.Length() <= i || info[i].IsUndefined()) return p;
  if (!info[i].IsObject()) ThrowType(env, "payload must be an object");
  Napi::Object o = info[i].As<Napi::Object>();
  auto num = [&](const char* key, double lo, double hi, double dflt) -> double {
    Napi::Value v = o.Get(key);
    if (v.IsUndefined()) return dflt;
    if (!v.IsNumber()) ThrowType(env, std::string("payload.") + key + " must be a number");
    double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= lo && d <= hi) || d != static_cast<double>(static_cast<int64_t>(d)))
      ThrowRange(env, std::string("payload.") + key + " is out of range");
    return d;
  };
  p.signo = static_cast<int>(num("signo", 1, SIGRTMAX, p.signo));
  p.code = static_cast<int>(num("code", -2147483648.0, 2147483647.0, p.code));
  p.pages = static_cast<uint64_t>(num("pages", 0, 9007199254740991.0, 0));
  p.free_pages = static_cast<uint64_t>(num("freePages", 0, 9007199254740991.0, 0));
  p.encode = !o.Get("pages").IsUndefined() || !o.Get("freePages").IsUndefined();
  if (p.encode && !BALLOON_HAVE_UAPI)
    ThrowRange(env, "payload.pages/freePages need kernel-patch/include/uapi/linux/balloon.h at build time; give value instead");
  Napi::Value v = o.Get("value");
  if (!v.IsUndefined()) {
    if (p.encode) ThrowType(env, "payload: give either value or pages/freePages, not both");
    if (!v.IsBigInt()) ThrowType(env, "payload.value must be a bigint");
    bool lossless = false;
    p.value = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) ThrowRange(env, "payload.value must fit in 64 bits");
  }
  return p;
}

void BuildSiginfo(const Payload& p, siginfo_t* si) {
  memset(si, 0, sizeof *si);
  si->si_signo = p.signo;
  si->si_code = p.code;
  // A positive si_code imitates the kernel itself (it sends si_pid = si_uid = 0);
  // SI_QUEUE and other negative codes look like sigqueue() from this process.
  si->si_pid = p.code > 0 ? 0 : getpid();
  si->si_uid = p.code > 0 ? 0 : getuid();
  si->si_value.sival_ptr = reinterpret_cast<void*>(p.value);
  if (p.encode) FillPayload(si, p.pages, p.free_pages);
}

// rt_sigqueueinfo to the whole process: the kernel picks the thread.
Napi::Value Raise(const Napi::CallbackInfo& info) {
  Payload p = ParsePayload(info, 0);
  siginfo_t si;
  BuildSiginfo(p, &si);
  if (syscall(SYS_rt_sigqueueinfo, getpid(), p.signo, &si) != 0) throw ErrnoError(info.Env(), errno, "rt_sigqueueinfo");
  return info.Env().Undefined();
}

// rt_tgsigqueueinfo to one thread of this process (default: the calling thread).
Napi::Value RaiseThread(const Napi::CallbackInfo& info) {
  Payload p = ParsePayload(info, 0);
  int tid = info.Length() > 1 && !info[1].IsUndefined() ? ArgInt32(info, 1, "tid")
                                                         : static_cast<int>(syscall(SYS_gettid));
  siginfo_t si;
  BuildSiginfo(p, &si);
  if (syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, p.signo, &si) != 0)
    throw ErrnoError(info.Env(), errno, "rt_tgsigqueueinfo");
  return info.Env().Undefined();
}

struct ThreadJob {
  Payload p;
  uint32_t count;
  int tid;
  int err;
};

void* NativeSender(void* arg) {
  auto* job = static_cast<ThreadJob*>(arg);
  job->tid = static_cast<int>(syscall(SYS_gettid));
  for (uint32_t i = 0; i < job->count; i++) {
    Payload p = job->p;
    if (p.encode)
      p.pages += i;
    else
      p.value += i;
    siginfo_t si;
    BuildSiginfo(p, &si);
    // Directed at this native thread, so the handler runs here, not on a JS thread.
    if (syscall(SYS_rt_tgsigqueueinfo, getpid(), job->tid, p.signo, &si) != 0) {
      job->err = errno;
      break;
    }
  }
  return nullptr;
}

// Spawns a native thread that sends `count` signals to itself (values value, value+1, ...),
// joins it and returns its thread id.
Napi::Value RaiseFromNativeThread(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t count = ArgUint32Or(info, 0, "count", 1);
  ThreadJob job{ParsePayload(info, 1), count, 0, 0};
  pthread_t t;
  int rc = pthread_create(&t, nullptr, NativeSender, &job);
  if (rc != 0) throw ErrnoError(env, rc, "pthread_create");
  pthread_join(t, nullptr);
  if (job.err != 0) throw ErrnoError(env, job.err, "rt_tgsigqueueinfo");
  return Napi::Number::New(env, job.tid);
}

Napi::Value GetTid(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(syscall(SYS_gettid)));
}

// Whether `signo` is blocked on the calling thread.
Napi::Value IsBlocked(const Napi::CallbackInfo& info) {
  int signo = ArgInt32(info, 0, "signal");
  sigset_t cur;
  pthread_sigmask(SIG_SETMASK, nullptr, &cur);
  return Napi::Boolean::New(info.Env(), sigismember(&cur, signo) == 1);
}

// The calling process's disposition of `signo`: "default", "ignore" or "handler".
Napi::Value Disposition(const Napi::CallbackInfo& info) {
  int signo = ArgInt32(info, 0, "signal");
  if (signo < 1 || signo > SIGRTMAX) ThrowRange(info.Env(), "signal out of range");
  struct sigaction sa;
  if (sigaction(signo, nullptr, &sa) != 0) throw ErrnoError(info.Env(), errno, "sigaction");
  const char* d = (sa.sa_flags & SA_SIGINFO) ? "handler"
                  : sa.sa_handler == SIG_DFL ? "default"
                  : sa.sa_handler == SIG_IGN ? "ignore"
                                             : "handler";
  return Napi::String::New(info.Env(), d);
}

// Sets `signo` to SIG_IGN or SIG_DFL (to check that uninstalling restores it).
Napi::Value SetDisposition(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int signo = ArgInt32(info, 0, "signal");
  if (signo < 1 || signo > SIGRTMAX || signo == SIGKILL || signo == SIGSTOP) ThrowRange(env, "signal out of range");
  if (info.Length() < 2 || !info[1].IsString()) ThrowType(env, "disposition must be 'default' or 'ignore'");
  std::string d = info[1].As<Napi::String>();
  if (d != "default" && d != "ignore") ThrowRange(env, "disposition must be 'default' or 'ignore'");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = d == "ignore" ? SIG_IGN : SIG_DFL;
  sigemptyset(&sa.sa_mask);
  if (sigaction(signo, &sa, nullptr) != 0) throw ErrnoError(env, errno, "sigaction");
  return env.Undefined();
}

}  // namespace

void InitTesting(Napi::Env env, Napi::Object exports) {
  Napi::Object t = Napi::Object::New(env);
  t.Set("raise", Napi::Function::New(env, Raise, "raise"));
  t.Set("raiseThread", Napi::Function::New(env, RaiseThread, "raiseThread"));
  t.Set("raiseFromNativeThread", Napi::Function::New(env, RaiseFromNativeThread, "raiseFromNativeThread"));
  t.Set("gettid", Napi::Function::New(env, GetTid, "gettid"));
  t.Set("disposition", Napi::Function::New(env, Disposition, "disposition"));
  t.Set("setDisposition", Napi::Function::New(env, SetDisposition, "setDisposition"));
  t.Set("isBlocked", Napi::Function::New(env, IsBlocked, "isBlocked"));
  exports.Set("testing", t);
}

}  // namespace balloon
