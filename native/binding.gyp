{
  "targets": [
    {
      "target_name": "selfsup_native",
      "sources": [
        "src/addon.cc",
        "src/handle.cc",
        "src/create.cc",
        "src/math.cc",
        "src/shape.cc",
        "src/nn.cc",
        "src/autograd.cc",
        "src/cluster.cc",
        "src/distributed.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node ../scripts/libtorch.mjs include)",
        "shim"
      ],
      "libraries": ["<!@(node ../scripts/libtorch.mjs libs)", "-fopenmp"],
      "defines": ["NAPI_EXPERIMENTAL", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-fopenmp",
                    "<!@(node ../scripts/libtorch.mjs cflags)"]
    }
  ]
}
