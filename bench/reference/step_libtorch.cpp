// Times full training steps of convnet_s (or alexnet_s, vgg_s) in plain C++ libtorch, for
// comparison with `selfsup bench step` and step_pytorch.py. Build with bench/reference/build.sh:
//   bench/reference/build/step_libtorch [--arch convnet_s|alexnet_s|vgg_s] --batch 128 --steps 30
//       --warmup 5 --threads 2 [--channels-last]
// One step: zero grads (set to undefined), forward, mean cross-entropy, backward,
// SGD (lr 0.01, momentum 0.9). Input: random float32 [B, 1, 32, 32], random int64
// labels in [0, 10). Prints one JSON line.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace nn = torch::nn;

// [B, 1, 32, 32] -> [B, 32, 16, 16] -> [B, 64, 8, 8] -> [B, 128, 8, 8] -> [B, 128] -> [B, classes]
static nn::Sequential convnetS(int64_t classes = 10, int64_t inChannels = 1) {
  return nn::Sequential(
      nn::Conv2d(nn::Conv2dOptions(inChannels, 32, 5).padding(2)), nn::BatchNorm2d(32), nn::ReLU(),
      nn::MaxPool2d(nn::MaxPool2dOptions(2)),
      nn::Conv2d(nn::Conv2dOptions(32, 64, 5).padding(2)), nn::BatchNorm2d(64), nn::ReLU(),
      nn::MaxPool2d(nn::MaxPool2dOptions(2)),
      nn::Conv2d(nn::Conv2dOptions(64, 128, 3).padding(1)), nn::BatchNorm2d(128), nn::ReLU(),
      nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions(1)), nn::Flatten(), nn::Linear(128, classes));
}

// The zoo's 32 px nets as src/models builds them (and pretext_pytorch.py's ZooNet): conv-BN-ReLU
// trunks, then adaptive pool, fc 512, ReLU, dropout 0.5, fc 512, ReLU, fc to the classes.
static void convBnRelu(nn::Sequential& s, int64_t cin, int64_t cout, int64_t k, int64_t pad) {
  s->push_back(nn::Conv2d(nn::Conv2dOptions(cin, cout, k).padding(pad)));
  s->push_back(nn::BatchNorm2d(cout));
  s->push_back(nn::ReLU(nn::ReLUOptions(true)));
}

static nn::Sequential zooNet(const std::string& arch, int64_t classes = 10, int64_t inChannels = 1) {
  nn::Sequential s;
  int64_t out = 0, pool = 0;
  if (arch == "alexnet_s") {
    auto maxPool = [] { return nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1)); };
    convBnRelu(s, inChannels, 32, 5, 2);
    s->push_back(maxPool());
    convBnRelu(s, 32, 64, 5, 2);
    s->push_back(maxPool());
    convBnRelu(s, 64, 96, 3, 1);
    convBnRelu(s, 96, 96, 3, 1);
    convBnRelu(s, 96, 64, 3, 1);
    s->push_back(maxPool());
    out = 64, pool = 2;
  } else {  // vgg_s
    int64_t cin = inChannels;
    const int64_t counts[] = {2, 2, 3, 3, 3}, widths[] = {16, 32, 64, 128, 128};
    for (int b = 0; b < 5; b++) {
      for (int64_t i = 0; i < counts[b]; i++, cin = widths[b]) convBnRelu(s, cin, widths[b], 3, 1);
      s->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2).ceil_mode(true)));
    }
    out = 128, pool = 1;
  }
  s->push_back(nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions(pool)));
  s->push_back(nn::Flatten());
  s->push_back(nn::Linear(out * pool * pool, 512));
  s->push_back(nn::ReLU());
  s->push_back(nn::Dropout(0.5));
  s->push_back(nn::Linear(512, 512));
  s->push_back(nn::ReLU());
  s->push_back(nn::Linear(512, classes));
  return s;
}

[[noreturn]] static void usage(const std::string& why) {
  std::fprintf(stderr,
               "step_libtorch: %s\nusage: step_libtorch [--arch convnet_s|alexnet_s|vgg_s] [--batch B] [--steps S] [--warmup W] "
               "[--threads T] [--channels-last]\n",
               why.c_str());
  std::exit(2);
}

static int intArg(int argc, char** argv, int& i, int minimum) {
  const std::string name = argv[i];
  if (++i >= argc) usage(name + " needs a value");
  char* end = nullptr;
  long v = std::strtol(argv[i], &end, 10);
  if (*argv[i] == '\0' || *end != '\0') usage(name + " must be an integer, got '" + argv[i] + "'");
  if (v < minimum) usage(name + " must be >= " + std::to_string(minimum) + ", got " + argv[i]);
  return static_cast<int>(v);
}

int main(int argc, char** argv) {
  int batch = 128, steps = 30, warmup = 5, threads = torch::get_num_threads();
  bool channelsLast = false;
  std::string arch = "convnet_s";
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--arch") {
      if (++i >= argc) usage("--arch needs a value");
      arch = argv[i];
      if (arch != "convnet_s" && arch != "alexnet_s" && arch != "vgg_s") usage("--arch must be convnet_s, alexnet_s or vgg_s, got '" + arch + "'");
    } else if (a == "--batch") batch = intArg(argc, argv, i, 1);
    else if (a == "--steps") steps = intArg(argc, argv, i, 1);
    else if (a == "--warmup") warmup = intArg(argc, argv, i, 0);
    else if (a == "--threads") threads = intArg(argc, argv, i, 1);
    else if (a == "--channels-last") channelsLast = true;
    else usage("unknown argument '" + a + "'");
  }

  torch::set_num_threads(threads);
  torch::manual_seed(0);
  auto model = arch == "convnet_s" ? convnetS() : zooNet(arch);
  const auto fmt = channelsLast ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
  {
    // Module::to has no memory-format overload in C++: convert the 4-d conv weights as
    // Python's module.to(memory_format=...) does. Tensor::to, not contiguous(): a [32, 1, 5, 5]
    // weight already counts as channels-last-contiguous, so contiguous() would keep its NCHW
    // strides and oneDNN would then run the first conv in NCHW with costly reorders.
    torch::NoGradGuard noGrad;
    for (auto& p : model->parameters())
      if (p.dim() == 4) p.set_data(p.to(p.options(), /*non_blocking=*/false, /*copy=*/false, fmt));
  }
  model->train();
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
  auto x = torch::randn({batch, 1, 32, 32}).contiguous(fmt);
  auto y = torch::randint(0, 10, {batch}, torch::kInt64);

  auto params = model->parameters();
  auto step = [&] {
    for (auto& p : params) p.mutable_grad() = torch::Tensor();  // zero_grad(set_to_none)
    auto loss = torch::nn::functional::cross_entropy(model->forward(x), y);
    loss.backward();
    opt.step();
  };
  for (int i = 0; i < warmup; i++) step();
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; i++) step();
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / steps;
  std::printf(
      "{\"impl\": \"libtorch\", \"arch\": \"%s\", \"batch\": %d, \"threads\": %d, \"steps\": %d, "
      "\"channelsLast\": %s, \"msPerStep\": %.3f, \"imagesPerSec\": %.1f, \"torch\": \"%s\"}\n",
      arch.c_str(), batch, torch::get_num_threads(), steps, channelsLast ? "true" : "false", ms, batch * 1000.0 / ms,
      TORCH_VERSION);
  return 0;
}
