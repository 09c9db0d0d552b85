// Renders the Kubernetes base and every example offline with `kubectl kustomize` and checks the
// output: hardened containers, probes, resources, the native sidecar shape, the fleet's shard
// flag, config reload wiring, and that each example's llmprobe config passes check-config.
// kubectl is not a Debian package: without it this program exits 77 (ctest reports "Skipped").
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "DeployPaths.h"

namespace llmprobe::deploy {
namespace {

// Runs a shell command; returns its exit status, stdout+stderr in *output.
int Run(const std::string& command, std::string* output) {
  output->clear();
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) output->append(buf.data(), n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// yaml-cpp throws on a lookup through a missing key and rebinds nodes on assignment, so every
// lookup goes through At(): the node at a path of map keys, or an undefined node.
YAML::Node At(const YAML::Node& root, std::initializer_list<std::string> keys) {
  YAML::Node cur;
  cur.reset(root);
  for (const std::string& key : keys) {
    const YAML::Node& c = cur;
    if (!c.IsDefined() || !c.IsMap() || !c[key]) return YAML::Node(YAML::NodeType::Undefined);
    YAML::Node next = c[key];
    cur.reset(next);
  }
  return cur;
}
std::string Str(const YAML::Node& n) {
  return n.IsDefined() && n.IsScalar() ? n.as<std::string>() : "";
}
std::string Str(const YAML::Node& root, std::initializer_list<std::string> keys) {
  return Str(At(root, keys));
}
// Children of a sequence at a path (none if absent).
std::vector<YAML::Node> Seq(const YAML::Node& root, std::initializer_list<std::string> keys) {
  std::vector<YAML::Node> out;
  const YAML::Node n = At(root, keys);
  if (n.IsDefined() && n.IsSequence()) {
    for (const auto& item : n) out.push_back(item);
  }
  return out;
}

struct Rendered {
  std::vector<YAML::Node> docs;
  std::vector<YAML::Node> OfKind(const std::string& kind) const {
    std::vector<YAML::Node> out;
    for (const auto& d : docs) {
      if (Str(d, {"kind"}) == kind) out.push_back(d);
    }
    return out;
  }
  bool Has(const std::string& kind, const std::string& name) const {
    for (const auto& d : docs) {
      if (Str(d, {"kind"}) == kind && Str(d, {"metadata", "name"}) == name) return true;
    }
    return false;
  }
  // The object of that kind and name (REQUIREd to exist).
  YAML::Node One(const std::string& kind, const std::string& name) const {
    for (const auto& d : docs) {
      if (Str(d, {"kind"}) == kind && Str(d, {"metadata", "name"}) == name) return d;
    }
    FAIL("no " << kind << " " << name << " in the rendered output");
    return YAML::Node();
  }
};

Rendered Kustomize(const std::string& dir) {
  std::string out;
  const std::string path = (SourceDir() / "deploy/kubernetes" / dir).string();
  const int rc = Run("kubectl kustomize '" + path + "'", &out);
  REQUIRE_MESSAGE(rc == 0, "kubectl kustomize " << dir << " failed:\n" << out);
  Rendered r;
  for (const auto& doc : YAML::LoadAll(out)) {
    if (doc && doc.IsMap()) r.docs.push_back(doc);
  }
  REQUIRE_FALSE(r.docs.empty());
  return r;
}

bool HasArg(const YAML::Node& container, const std::string& arg) {
  for (const auto& a : Seq(container, {"args"})) {
    if (Str(a) == arg) return true;
  }
  return false;
}

std::string ArgWithPrefix(const YAML::Node& container, const std::string& prefix) {
  for (const auto& a : Seq(container, {"args"})) {
    if (Str(a).rfind(prefix, 0) == 0) return Str(a).substr(prefix.size());
  }
  return "";
}

void CheckHardened(const YAML::Node& pod_spec, const YAML::Node& c) {
  CAPTURE(Str(c, {"name"}));
  const YAML::Node sc = At(c, {"securityContext"});
  REQUIRE(sc.IsMap());
  const bool non_root = Str(sc, {"runAsNonRoot"}) == "true" ||
                        Str(pod_spec, {"securityContext", "runAsNonRoot"}) == "true";
  CHECK(non_root);
  CHECK(Str(sc, {"readOnlyRootFilesystem"}) == "true");
  CHECK(Str(sc, {"allowPrivilegeEscalation"}) == "false");
  bool drops_all = false;
  for (const auto& cap : Seq(sc, {"capabilities", "drop"})) drops_all |= Str(cap) == "ALL";
  CHECK(drops_all);
  const std::string seccomp = Str(sc, {"seccompProfile", "type"}).empty()
                                  ? Str(pod_spec, {"securityContext", "seccompProfile", "type"})
                                  : Str(sc, {"seccompProfile", "type"});
  CHECK(seccomp == "RuntimeDefault");
  CHECK_FALSE(Str(c, {"resources", "requests", "cpu"}).empty());
  CHECK_FALSE(Str(c, {"resources", "requests", "memory"}).empty());
  CHECK_FALSE(Str(c, {"resources", "limits", "memory"}).empty());
}

// The mountPath of the container's mount of volume `volume`, "" if none.
std::string MountPath(const YAML::Node& c, const std::string& volume) {
  for (const auto& m : Seq(c, {"volumeMounts"})) {
    if (Str(m, {"name"}) == volume) return Str(m, {"mountPath"});
  }
  return "";
}

struct Workload {
  bool found = false;
  bool has_reloader = false;
  YAML::Node resource;
  YAML::Node pod_spec;
  YAML::Node llmprobe;  // the llmprobe container
  YAML::Node reloader;  // the config-reloader container
  bool llmprobe_is_init = false;
};

Workload FindWorkload(const Rendered& r) {
  Workload w;
  for (const auto& d : r.docs) {
    const std::string kind = Str(d, {"kind"});
    if (kind != "Deployment" && kind != "StatefulSet" && kind != "DaemonSet") continue;
    for (const char* list : {"containers", "initContainers"}) {
      for (const auto& c : Seq(d, {"spec", "template", "spec", list})) {
        if (Str(c, {"name"}) == "llmprobe") {
          REQUIRE_MESSAGE(!w.found, "two llmprobe containers");
          w.found = true;
          w.resource.reset(d);
          w.pod_spec.reset(At(d, {"spec", "template", "spec"}));
          w.llmprobe.reset(c);
          w.llmprobe_is_init = std::string(list) == "initContainers";
        }
        if (Str(c, {"name"}) == "config-reloader") {
          w.has_reloader = true;
          w.reloader.reset(c);
        }
      }
    }
  }
  REQUIRE_MESSAGE(w.found, "no workload with an llmprobe container");
  REQUIRE_MESSAGE(w.has_reloader, "no config-reloader container");
  return w;
}

std::string VolumeSource(const YAML::Node& pod_spec, const std::string& volume, const char* kind,
                         const char* name_key) {
  for (const auto& v : Seq(pod_spec, {"volumes"})) {
    if (Str(v, {"name"}) == volume) return Str(v, {kind, name_key});
  }
  return "";
}

// The name of the container's volume mounted at mount_path, "" if none.
std::string VolumeMountedAt(const YAML::Node& c, const std::string& mount_path) {
  for (const auto& m : Seq(c, {"volumeMounts"})) {
    if (Str(m, {"mountPath"}) == mount_path) return Str(m, {"name"});
  }
  return "";
}

// Checks shared by every example; returns the workload for example-specific checks.
Workload CheckExample(const std::string& dir) {
  CAPTURE(dir);
  const Rendered r = Kustomize(dir);
  const Workload w = FindWorkload(r);

  // llmprobe container: hardened, probes, port, image from the images transformer.
  CheckHardened(w.pod_spec, w.llmprobe);
  CheckHardened(w.pod_spec, w.reloader);
  CHECK(Str(w.llmprobe, {"livenessProbe", "httpGet", "path"}) == "/-/healthy");
  CHECK(Str(w.llmprobe, {"readinessProbe", "httpGet", "path"}) == "/-/ready");
  const auto ports = Seq(w.llmprobe, {"ports"});
  REQUIRE(ports.size() == 1);
  CHECK(Str(ports[0], {"containerPort"}) == "9470");
  CHECK(Str(ports[0], {"name"}) == "http-metrics");
  CHECK(Str(w.llmprobe, {"image"}) != "llmprobe");
  const auto args = Seq(w.llmprobe, {"args"});
  REQUIRE_FALSE(args.empty());
  CHECK(Str(args[0]) == "run");
  CHECK(HasArg(w.llmprobe, "--web.listen-address=:9470"));
  CHECK(Str(w.pod_spec, {"automountServiceAccountToken"}) == "false");
  // No CPU limit: throttling would distort the measured latencies.
  CHECK_FALSE(At(w.llmprobe, {"resources", "limits", "cpu"}).IsDefined());

  // Config: --config.file names a key of the ConfigMap mounted without a hash suffix, so an
  // edit reaches the pod and a reload (not a rollout) applies it.
  const std::filesystem::path config_file = ArgWithPrefix(w.llmprobe, "--config.file=");
  REQUIRE_FALSE(config_file.empty());
  const std::string config_dir = config_file.parent_path().string();
  const std::string config_volume = VolumeMountedAt(w.llmprobe, config_dir);
  REQUIRE_FALSE(config_volume.empty());
  const std::string cm_name = VolumeSource(w.pod_spec, config_volume, "configMap", "name");
  CHECK(cm_name == "llmprobe-config");
  const YAML::Node cm = r.One("ConfigMap", cm_name);
  const std::string config_text = Str(cm, {"data", config_file.filename().string()});
  REQUIRE_FALSE(config_text.empty());

  // Tokens: the Secret mounted read-only as files.
  std::string secret_dir;
  for (const auto& m : Seq(w.llmprobe, {"volumeMounts"})) {
    if (!VolumeSource(w.pod_spec, Str(m, {"name"}), "secret", "secretName").empty()) {
      secret_dir = Str(m, {"mountPath"});
      CHECK(Str(m, {"readOnly"}) == "true");
      CHECK(r.Has("Secret", VolumeSource(w.pod_spec, Str(m, {"name"}), "secret", "secretName")));
    }
  }
  CHECK_FALSE(secret_dir.empty());

  // Reload without restart: the reloader watches both directories and POSTs /-/reload.
  CHECK(HasArg(w.reloader, "--webhook-url=http://127.0.0.1:9470/-/reload"));
  CHECK(HasArg(w.reloader, "--volume-dir=" + config_dir));
  CHECK(HasArg(w.reloader, "--volume-dir=" + secret_dir));
  CHECK(MountPath(w.reloader, config_volume) == config_dir);

  // Scraping: Service selects the pods, ServiceMonitor selects the Service, same port name.
  const YAML::Node svc = r.One("Service", "llmprobe");
  const YAML::Node pod_labels = At(w.resource, {"spec", "template", "metadata", "labels"});
  REQUIRE(At(svc, {"spec", "selector"}).IsMap());
  for (const auto& kv : At(svc, {"spec", "selector"})) {
    CAPTURE(Str(kv.first));
    CHECK(Str(pod_labels, {Str(kv.first)}) == Str(kv.second));
  }
  const auto svc_ports = Seq(svc, {"spec", "ports"});
  REQUIRE(svc_ports.size() == 1);
  CHECK(Str(svc_ports[0], {"targetPort"}) == "http-metrics");
  const YAML::Node sm = r.One("ServiceMonitor", "llmprobe");
  REQUIRE(At(sm, {"spec", "selector", "matchLabels"}).IsMap());
  for (const auto& kv : At(sm, {"spec", "selector", "matchLabels"})) {
    CHECK(Str(svc, {"metadata", "labels", Str(kv.first)}) == Str(kv.second));
  }
  const auto endpoints = Seq(sm, {"spec", "endpoints"});
  REQUIRE(endpoints.size() == 1);
  CHECK(Str(endpoints[0], {"port"}) == "http-metrics");
  const YAML::Node rule = r.One("PrometheusRule", "llmprobe");
  CHECK(Seq(rule, {"spec", "groups"}).size() >= 3);

  // The example's config is valid for the daemon.
  char tmpl[] = "/tmp/llmprobe-kustomize-XXXXXX";
  const int fd = mkstemp(tmpl);
  REQUIRE(fd >= 0);
  close(fd);
  { std::ofstream(tmpl) << config_text; }
  std::string out;
  const int rc =
      Run(std::string("'") + LLMPROBE_DEPLOY_BINARY + "' check-config --config.file=" + tmpl, &out);
  std::filesystem::remove(tmpl);
  CHECK_MESSAGE(rc == 0, "check-config of " << dir << "'s llmprobe.yaml:\n" << out);
  return w;
}

}  // namespace

TEST_CASE("base renders with config, secret, service, monitor and rules, and no workload") {
  const Rendered r = Kustomize("base");
  CHECK(r.Has("ConfigMap", "llmprobe-config"));
  CHECK(r.Has("Secret", "llmprobe-secrets"));
  CHECK(r.Has("Service", "llmprobe"));
  CHECK(r.Has("ServiceMonitor", "llmprobe"));
  CHECK(r.Has("PrometheusRule", "llmprobe"));
  CHECK(Str(r.One("ServiceAccount", "llmprobe"), {"automountServiceAccountToken"}) == "false");
  CHECK(r.OfKind("Deployment").empty());
}

TEST_CASE("standalone: a Deployment of one pod, recreated rather than rolled") {
  const Workload w = CheckExample("examples/standalone");
  CHECK(Str(w.resource, {"kind"}) == "Deployment");
  CHECK_FALSE(w.llmprobe_is_init);
  CHECK(Str(w.resource, {"spec", "replicas"}) == "1");
  CHECK(Str(w.resource, {"spec", "strategy", "type"}) == "Recreate");
}

TEST_CASE("sidecar: llmprobe is a native sidecar of the vLLM pod, probing localhost") {
  const Workload w = CheckExample("examples/sidecar");
  CHECK(w.llmprobe_is_init);
  CHECK(Str(w.llmprobe, {"restartPolicy"}) == "Always");
  CHECK(Str(w.reloader, {"restartPolicy"}) == "Always");
  bool has_model_server = false;
  for (const auto& c : Seq(w.pod_spec, {"containers"})) {
    CHECK(Str(c, {"name"}) != "llmprobe");
    has_model_server |= Str(c, {"image"}).find("vllm") != std::string::npos;
  }
  CHECK(has_model_server);
}

TEST_CASE("fleet: a StatefulSet whose pods shard the targets with --shard=INDEX/replicas") {
  const Workload w = CheckExample("examples/fleet");
  CHECK(Str(w.resource, {"kind"}) == "StatefulSet");
  CHECK(Str(w.resource, {"spec", "serviceName"}) == "llmprobe");
  const std::string shard = ArgWithPrefix(w.llmprobe, "--shard=");
  std::smatch m;
  REQUIRE(std::regex_match(shard, m, std::regex(R"(\$\(POD_INDEX\)/(\d+))")));
  CHECK(m[1].str() == Str(w.resource, {"spec", "replicas"}));
  CHECK(std::stoi(m[1].str()) > 1);
  bool pod_index = false;
  for (const auto& e : Seq(w.llmprobe, {"env"})) {
    if (Str(e, {"name"}) == "POD_INDEX") {
      pod_index = Str(e, {"valueFrom", "fieldRef", "fieldPath"}) ==
                  "metadata.labels['apps.kubernetes.io/pod-index']";
    }
  }
  CHECK(pod_index);
}

}  // namespace llmprobe::deploy

int main(int argc, char** argv) {
  std::string out;
  if (llmprobe::deploy::Run("kubectl version --client", &out) != 0) {
    std::printf(
        "SKIP: kubectl not found (it is not a Debian package; install it from "
        "https://kubernetes.io/docs/tasks/tools/ to render the manifests)\n");
    return 77;
  }
  doctest::Context context(argc, argv);
  return context.run();
}
