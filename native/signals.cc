// SIGBALLOON delivery.
//
//   kernel --SIGBALLOON--> OnSignal()   (any thread of the process; async-signal-safe only:
//                           |            atomics, a lock-free ring, write(2) to an eventfd)
//                           v
//                     delivery thread   (native, all signals blocked; poll(2) on the eventfd,
//                           |            drains the ring into batches)
//                           v
//                   ThreadSafeFunction   (unbounded queue, unref'd)
//                           |
//                           v
//                 JS listener(batch)     (main thread of the installing environment)
//
// The ring, the counters and the eventfd are process-global (a signal disposition is
// process-global); one environment (main thread or one worker) owns the listener at a
// time. Nothing here is destroyed at exit: the ring and counters have trivial
// destructors, the eventfd and the thread live on the heap.
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "abi.h"
#include "common.h"
#include "signals.h"

namespace balloon {

namespace {

constexpr size_t kRingSize = 8192;  // power of two
static_assert((kRingSize & (kRingSize - 1)) == 0, "ring size must be a power of two");
static_assert(std::atomic<uint64_t>::is_always_lock_free, "need lock-free 64-bit atomics");
static_assert(std::atomic<int>::is_always_lock_free, "need lock-free int atomics");

// Bounded multi-producer queue (Vyukov). Producers are signal handlers, possibly running
// concurrently on several threads; the single consumer is the delivery thread, which
// blocks SIGBALLOON so a handler never interrupts it mid-dequeue.
struct Cell {
  std::atomic<uint64_t> seq;
  SignalEvent ev;
};
Cell g_ring[kRingSize];
std::atomic<uint64_t> g_enqueue_pos{0};
uint64_t g_dequeue_pos = 0;  // consumer only
std::atomic<bool> g_ring_ready{false};

std::atomic<uint64_t> g_received{0};   // handler invocations
std::atomic<uint64_t> g_dropped{0};    // ring full
std::atomic<uint64_t> g_delivered{0};  // events handed to JavaScript
std::atomic<int> g_event_fd{-1};

void RingInit() {
  if (g_ring_ready.load()) return;
  for (size_t i = 0; i < kRingSize; i++) g_ring[i].seq.store(i, std::memory_order_relaxed);
  g_ring_ready.store(true);
}

bool RingPush(const SignalEvent& ev) {  // async-signal-safe
  uint64_t pos = g_enqueue_pos.load(std::memory_order_relaxed);
  for (;;) {
    Cell& c = g_ring[pos & (kRingSize - 1)];
    uint64_t seq = c.seq.load(std::memory_order_acquire);
    int64_t diff = static_cast<int64_t>(seq) - static_cast<int64_t>(pos);
    if (diff == 0) {
      if (g_enqueue_pos.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
        c.ev = ev;
        c.seq.store(pos + 1, std::memory_order_release);
        return true;
      }
    } else if (diff < 0) {
      return false;  // full
    } else {
      pos = g_enqueue_pos.load(std::memory_order_relaxed);
    }
  }
}

bool RingPop(SignalEvent* out) {  // delivery thread only
  Cell& c = g_ring[g_dequeue_pos & (kRingSize - 1)];
  uint64_t seq = c.seq.load(std::memory_order_acquire);
  if (static_cast<int64_t>(seq) - static_cast<int64_t>(g_dequeue_pos + 1) < 0) return false;
  *out = c.ev;
  c.seq.store(g_dequeue_pos + kRingSize, std::memory_order_release);
  g_dequeue_pos++;
  return true;
}

uint64_t MonotonicNs() {  // clock_gettime is async-signal-safe (POSIX.1-2008)
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

void OnSignal(int signo, siginfo_t* si, void* /*ucontext*/) {
  int saved_errno = errno;
  uint64_t seq = g_received.fetch_add(1, std::memory_order_relaxed) + 1;
  SignalEvent ev;
  memset(&ev, 0, sizeof ev);
  ev.seq = seq;
  ev.signo = signo;
  ev.timestamp_ns = MonotonicNs();
  ev.tid = static_cast<int32_t>(syscall(SYS_gettid));
  if (si != nullptr) ExtractPayload(si, &ev);
  if (!RingPush(ev)) g_dropped.fetch_add(1, std::memory_order_relaxed);
  int fd = g_event_fd.load(std::memory_order_relaxed);
  if (fd >= 0) {
    uint64_t one = 1;
    ssize_t r = write(fd, &one, sizeof one);
    (void)r;
  }
  errno = saved_errno;
}

// One installation: a thread + a thread-safe function, owned by one environment.
struct Installation {
  napi_env env = nullptr;
  napi_threadsafe_function tsfn = nullptr;
  pthread_t thread{};
  bool thread_running = false;
  bool handler_installed = false;
  std::atomic<bool> stop{false};
  int signo = 0;
  struct sigaction previous {};
};

std::mutex g_mu;                      // guards g_current and install/uninstall
Installation* g_current = nullptr;    // the live installation, if any

void* DeliveryThread(void* arg) {
  auto* inst = static_cast<Installation*>(arg);
  int fd = g_event_fd.load();
  std::vector<SignalEvent> batch;
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, -1);
    if (r < 0 && errno != EINTR) break;
    uint64_t n;
    while (read(fd, &n, sizeof n) > 0) {
    }
    bool stopping = inst->stop.load(std::memory_order_acquire);
    SignalEvent ev;
    while (RingPop(&ev)) batch.push_back(ev);
    if (!batch.empty()) {
      auto* data = new std::vector<SignalEvent>(std::move(batch));
      batch = std::vector<SignalEvent>();
      // Unbounded queue: never blocks on the JS thread, so the owner can join us.
      if (napi_call_threadsafe_function(inst->tsfn, data, napi_tsfn_blocking) != napi_ok) delete data;
    }
    if (stopping) break;
  }
  return nullptr;
}

void CallJs(napi_env env, napi_value js_cb, void* /*context*/, void* data) {
  auto* events = static_cast<std::vector<SignalEvent>*>(data);
  // env/js_cb are null when the function is torn down with calls still queued; at
  // environment teardown JavaScript may not run any more either. Events still queued
  // when the process exits are dropped: nothing here may throw past this frame.
  if (env != nullptr && js_cb != nullptr) {
    try {
      Napi::Env e(env);
      Napi::HandleScope scope(e);
      Napi::Array arr = Napi::Array::New(e, events->size());
      for (size_t i = 0; i < events->size(); i++)
        arr.Set(static_cast<uint32_t>(i), EventToObject(e, (*events)[i]));
      napi_value argv[1] = {arr};
      napi_value result;
      napi_status st = napi_call_function(env, e.Undefined(), js_cb, 1, argv, &result);
      if (st == napi_ok) {
        g_delivered.fetch_add(events->size(), std::memory_order_relaxed);
      } else if (st == napi_pending_exception) {
        // The listener threw: surface it as an uncaught exception, as an event would.
        napi_value ex;
        if (napi_get_and_clear_last_exception(env, &ex) == napi_ok) napi_fatal_exception(env, ex);
      }
    } catch (...) {
      napi_value ex;
      napi_get_and_clear_last_exception(env, &ex);  // environment going away: drop
    }
  }
  delete events;
}

// Stops the thread and restores the disposition. Caller holds g_mu.
void Teardown(Installation* inst) {
  if (inst->handler_installed) {
    sigaction(inst->signo, &inst->previous, nullptr);
    inst->handler_installed = false;
  }
  if (inst->thread_running) {
    inst->stop.store(true, std::memory_order_release);
    uint64_t one = 1;
    ssize_t r = write(g_event_fd.load(), &one, sizeof one);
    (void)r;
    pthread_join(inst->thread, nullptr);
    inst->thread_running = false;
  }
}

void FinalizeTsfn(napi_env /*env*/, void* finalize_data, void* /*hint*/) {
  auto* inst = static_cast<Installation*>(finalize_data);
  std::lock_guard<std::mutex> lock(g_mu);
  Teardown(inst);  // no-op after uninstall(); the env-teardown path lands here
  if (g_current == inst) g_current = nullptr;
  delete inst;
}

void EnvCleanup(napi_env env) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_current != nullptr && g_current->env == env) {
    Teardown(g_current);
    napi_release_threadsafe_function(g_current->tsfn, napi_tsfn_abort);
    g_current = nullptr;  // the TSFN finalizer deletes it
  }
}

Napi::Value Install(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) ThrowType(env, "listener must be a function");
  int signo = DefaultSignal();
  if (info.Length() > 1 && !info[1].IsUndefined()) signo = ArgInt32(info, 1, "signal");
  if (signo < 1 || signo > SIGRTMAX || signo == SIGKILL || signo == SIGSTOP)
    ThrowRange(env, "signal must be a catchable signal number in [1, " + std::to_string(SIGRTMAX) + "]");

  std::lock_guard<std::mutex> lock(g_mu);
  if (g_current != nullptr) {
    if (g_current->env == env && g_current->signo == signo) return Napi::Boolean::New(env, false);
    Napi::Error e = Napi::Error::New(
        env, g_current->env == env
                 ? "a SIGBALLOON listener is already installed for signal " + std::to_string(g_current->signo)
                 : "a SIGBALLOON listener is already installed by another thread (worker) of this process");
    e.Set("code", Napi::String::New(env, "EBUSY"));
    throw e;
  }

  RingInit();
  if (g_event_fd.load() < 0) {
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0) throw ErrnoError(env, errno, "eventfd");
    g_event_fd.store(fd);
  }

  auto* inst = new Installation();
  inst->env = env;
  inst->signo = signo;
  napi_value name = Napi::String::New(env, "balloon-signal");
  napi_status st = napi_create_threadsafe_function(env, info[0], nullptr, name, 0, 1, inst, FinalizeTsfn, nullptr,
                                                   CallJs, &inst->tsfn);
  if (st != napi_ok) {
    delete inst;
    throw Napi::Error::New(env, "napi_create_threadsafe_function failed");
  }
  // Do not keep the event loop alive just because a listener is installed.
  napi_unref_threadsafe_function(env, inst->tsfn);

  // The delivery thread blocks every signal, so SIGBALLOON never lands on it.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(&inst->thread, nullptr, DeliveryThread, inst);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (rc != 0) {
    napi_release_threadsafe_function(inst->tsfn, napi_tsfn_abort);  // finalizer deletes inst
    throw ErrnoError(env, rc, "pthread_create");
  }
  inst->thread_running = true;

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = OnSignal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  if (sigaction(signo, &sa, &inst->previous) != 0) {
    int err = errno;
    Teardown(inst);
    napi_release_threadsafe_function(inst->tsfn, napi_tsfn_abort);
    throw ErrnoError(env, err, "sigaction");
  }
  inst->handler_installed = true;
  g_current = inst;
  return Napi::Boolean::New(env, true);
}

Napi::Value Uninstall(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_current == nullptr) return Napi::Boolean::New(env, false);
  if (g_current->env != env) {
    Napi::Error e = Napi::Error::New(env, "the SIGBALLOON listener belongs to another thread (worker) of this process");
    e.Set("code", Napi::String::New(env, "EBUSY"));
    throw e;
  }
  Installation* inst = g_current;
  Teardown(inst);  // restore disposition, then drain and join
  g_current = nullptr;
  // Events the thread queued before exiting are still delivered; then the finalizer runs.
  napi_release_threadsafe_function(inst->tsfn, napi_tsfn_release);
  return Napi::Boolean::New(env, true);
}

// ref(true): the installation keeps the event loop alive (a daemon waiting for signals);
// ref(false, the default): it does not.
Napi::Value KeepAlive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBoolean()) ThrowType(env, "keepAlive must be a boolean");
  bool on = info[0].As<Napi::Boolean>();
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_current == nullptr || g_current->env != env) return Napi::Boolean::New(env, false);
  if (on)
    napi_ref_threadsafe_function(env, g_current->tsfn);
  else
    napi_unref_threadsafe_function(env, g_current->tsfn);
  return Napi::Boolean::New(env, true);
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("received", Napi::Number::New(env, static_cast<double>(g_received.load())));
  o.Set("delivered", Napi::Number::New(env, static_cast<double>(g_delivered.load())));
  o.Set("dropped", Napi::Number::New(env, static_cast<double>(g_dropped.load())));
  std::lock_guard<std::mutex> lock(g_mu);
  // The live installation's signal, while its handler is in place.
  int signo = g_current != nullptr && g_current->handler_installed ? g_current->signo : 0;
  o.Set("installed", Napi::Boolean::New(env, signo != 0));
  o.Set("signal", Napi::Number::New(env, signo));
  o.Set("ownedByThisThread", Napi::Boolean::New(env, g_current != nullptr && g_current->env == env));
  return o;
}

Napi::Value SignalCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(g_received.load()));
}

}  // namespace

void InitSignals(Napi::Env env, Napi::Object exports) {
  exports.Set("signalInstall", Napi::Function::New(env, Install, "signalInstall"));
  exports.Set("signalUninstall", Napi::Function::New(env, Uninstall, "signalUninstall"));
  exports.Set("signalKeepAlive", Napi::Function::New(env, KeepAlive, "signalKeepAlive"));
  exports.Set("signalStats", Napi::Function::New(env, Stats, "signalStats"));
  exports.Set("signalCount", Napi::Function::New(env, SignalCount, "signalCount"));
  exports.Set("SIGBALLOON", Napi::Number::New(env, DefaultSignal()));
  exports.Set("sigballoonFromHeader", Napi::Boolean::New(env, SignalFromHeader()));
  napi_add_env_cleanup_hook(
      env, [](void* arg) { EnvCleanup(static_cast<napi_env>(arg)); }, static_cast<napi_env>(env));
}

}  // namespace balloon
