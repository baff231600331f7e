{
  "targets": [
    {
      "target_name": "balloon",
      "sources": [
        "native/addon.cc",
        "native/abi.cc",
        "native/common.cc",
        "native/regions.cc",
        "native/signals.cc",
        "native/syscalls.cc",
        "native/testing.cc"
      ],
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
      "cflags": ["-Wall"],
      "conditions": [
        ["OS!='linux'", { "type": "none", "sources": [] }]
      ]
    }
  ]
}
