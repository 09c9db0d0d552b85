#include "metrics/Exposition.h"

#include "metrics/TextFormat.h"

namespace llmprobe {

std::string RenderExposition(const std::vector<const prometheus::Collectable*>& collectables) {
  std::vector<prometheus::MetricFamily> families;
  for (const prometheus::Collectable* c : collectables) {
    auto more = c->Collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
  }
  // Not prometheus-cpp's TextSerializer: its ostream output cost ~20 ms at 28k lines
  // (docs/PERFORMANCE.md, "Profiles and fixes").
  std::string out;
  AppendTextFormat(families, out);
  return out;
}

}  // namespace llmprobe
