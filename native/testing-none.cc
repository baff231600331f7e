// The production addon (balloon.node) has no test helpers: `testing` is left
// out of its exports. balloon_testing.node links native/testing.cc instead.
#include "common.h"

namespace balloon {

void InitTesting(Napi::Env /*env*/, Napi::Object /*exports*/) {}

}  // namespace balloon
