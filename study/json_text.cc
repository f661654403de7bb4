#include "study/json_text.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "study/json_path.h"

namespace tuner {
namespace {

// Deeper documents are refused: no study needs them, and the paths recorded
// for ordering would grow with the square of the depth.
constexpr size_t kMaxDepth = 64;

class TooDeep : public std::runtime_error {
 public:
  TooDeep() : std::runtime_error("nested deeper than " + std::to_string(kMaxDepth) + " levels") {}
};

// Follows nlohmann's parse events to know the path of every value.
class PathTracker {
 public:
  explicit PathTracker(JsonText* out) : out_(out) {}

  bool OnEvent(Json::parse_event_t event, const Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start: {
        if (stack_.size() >= kMaxDepth) throw TooDeep();
        std::string path = ElementPath();
        if (InArrayOrDocument()) Record(path);
        stack_.push_back(Frame{event == Json::parse_event_t::array_start, std::move(path)});
        break;
      }
      case Json::parse_event_t::key: {
        Frame& frame = stack_.back();
        frame.key = parsed.is_string() ? parsed.get<std::string>() : std::string();
        std::string path = KeyPath(frame.path, frame.key);
        if (!frame.keys.insert(frame.key).second) {
          out_->faults.push_back({path, "duplicate key (each key may appear only once)"});
        }
        Record(path);
        break;
      }
      case Json::parse_event_t::value:
        if (InArrayOrDocument()) Record(ElementPath());
        EndElement();
        break;
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        if (!stack_.empty()) stack_.pop_back();
        EndElement();
        break;
    }
    return true;  // keep everything
  }

 private:
  struct Frame {
    bool is_array = false;
    std::string path;
    size_t index = 0;            // arrays: index of the current element
    std::string key;             // objects: the current key
    std::set<std::string> keys;  // objects: keys seen so far
  };

  bool InArrayOrDocument() const { return stack_.empty() || stack_.back().is_array; }

  std::string ElementPath() const {
    if (stack_.empty()) return "";
    const Frame& frame = stack_.back();
    return frame.is_array ? IndexPath(frame.path, frame.index) : KeyPath(frame.path, frame.key);
  }

  void EndElement() {
    if (!stack_.empty() && stack_.back().is_array) ++stack_.back().index;
  }

  void Record(const std::string& path) { out_->order.emplace(path, next_rank_++); }

  JsonText* out_;
  std::vector<Frame> stack_;
  int next_rank_ = 0;
};

// "[json.exception.parse_error.101] parse error at line 3, column 5: x" ->
// "invalid JSON at line 3, column 5: x".
std::string DescribeJsonError(const std::string& what) {
  std::string message = what;
  const size_t bracket = message.find("] ");
  if (message.rfind("[json.exception.", 0) == 0 && bracket != std::string::npos) {
    message = message.substr(bracket + 2);
  }
  const std::string kParseError = "parse error";
  if (message.rfind(kParseError, 0) == 0) {
    message = message.substr(kParseError.size());
    if (message.rfind(" at ", 0) == 0) return "invalid JSON" + message;
    if (message.rfind(": ", 0) == 0) message = message.substr(2);
  }
  return "invalid JSON: " + message;
}

}  // namespace

JsonText ReadJsonText(std::string_view text) {
  JsonText out;
  PathTracker tracker(&out);
  try {
    out.value = Json::parse(
        text.begin(), text.end(),
        [&tracker](int /*depth*/, Json::parse_event_t event, Json& parsed) {
          return tracker.OnEvent(event, parsed);
        },
        /*allow_exceptions=*/true, /*ignore_comments=*/false);
  } catch (const std::exception& e) {
    out.value.reset();
    out.faults.clear();
    out.order.clear();
    out.faults.push_back({"", DescribeJsonError(e.what())});
  }
  return out;
}

void SortByDocumentOrder(const std::map<std::string, int>& order, std::vector<StudyFault>* faults) {
  auto rank = [&order](const std::string& path) {
    // Try `path`, then each prefix that ends at a segment boundary.
    for (size_t len = path.size();; --len) {
      const bool boundary = len == path.size() || path[len] == '.' || path[len] == '[';
      if (boundary) {
        auto it = order.find(path.substr(0, len));
        if (it != order.end()) return it->second;
      }
      if (len == 0) return -1;
    }
  };
  std::vector<std::pair<int, size_t>> keys;
  keys.reserve(faults->size());
  for (size_t i = 0; i < faults->size(); ++i) keys.emplace_back(rank((*faults)[i].path), i);
  std::stable_sort(keys.begin(), keys.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<StudyFault> sorted;
  sorted.reserve(faults->size());
  for (const auto& [r, i] : keys) sorted.push_back(std::move((*faults)[i]));
  *faults = std::move(sorted);
}

}  // namespace tuner
