{
  # Three targets: the addon's code in a static library, linked into
  #   balloon.node          what the agent loads (no test helpers: native/testing-none.cc), and
  #   balloon_testing.node  the same with native/testing.cc, which the tests and
  #                         bench:host load through BALLOON_ADDON (see vitest.config.ts).
  "target_defaults": {
    # node_addon_api_except: C++ exceptions on, node-addon-api include dir.
    "dependencies": [
      "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"
    ],
    "include_dirs": [
      # The kernel patch series' uapi header (#include <uapi/linux/balloon.h>).
      "kernel-patch/include"
    ],
    "defines": [
      # Node-API 8: Node.js >= 12.22 / 14.17 / 16; one build loads on every Node.js >= 20.
      "NAPI_VERSION=8",
      "NODE_ADDON_API_DISABLE_DEPRECATED",
      "_GNU_SOURCE"
    ],
    "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-missing-field-initializers"],
    "cflags": ["-Wall"]
  },
  "targets": [
    {
      "target_name": "balloon_core",
      "type": "static_library",
      "sources": [
        "native/abi.cc",
        "native/common.cc",
        "native/regions.cc",
        "native/signals.cc",
        "native/syscalls.cc"
      ],
      "conditions": [
        ["OS!='linux'", { "type": "none", "sources": [] }]
      ]
    },
    {
      "target_name": "balloon",
      "dependencies": ["balloon_core"],
      "sources": ["native/addon.cc", "native/testing-none.cc"],
      "conditions": [
        ["OS!='linux'", { "type": "none", "sources": [] }]
      ]
    },
    {
      "target_name": "balloon_testing",
      "dependencies": ["balloon_core"],
      "sources": ["native/addon.cc", "native/testing.cc"],
      "conditions": [
        ["OS!='linux'", { "type": "none", "sources": [] }]
      ]
    }
  ]
}
