#pragma once

#include <napi.h>
#include <signal.h>

#include <cstdint>

namespace balloon {

// One received signal, as copied by the handler. Plain data: copied inside the
// signal handler, so no constructors, no allocation.
struct SignalEvent {
  uint64_t seq;           // 1-based number of the signal in this process
  uint64_t timestamp_ns;  // CLOCK_MONOTONIC when the handler ran
  uint64_t value;         // si_value (sival_ptr)
  uint64_t pages;         // header payload: pages the kernel wants back
  uint64_t free_pages;    // header payload: free memory
  int32_t signo;
  int32_t code;           // si_code
  int32_t pid;            // si_pid
  uint32_t uid;           // si_uid
  int32_t tid;            // thread the handler ran on
  int32_t has_payload;    // 1 when pages/free_pages were decoded from the header's fields
};

// Defined in abi.cc, the only place that interprets the kernel header.
// ExtractPayload runs inside the signal handler: async-signal-safe only.
void ExtractPayload(const siginfo_t* si, SignalEvent* ev);
Napi::Object EventToObject(Napi::Env env, const SignalEvent& ev);

}  // namespace balloon
