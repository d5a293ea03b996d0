#pragma once

#include <string>

#include "tools/healthcheck/health_eval.hpp"
#include "tools/healthcheck/health_facts.hpp"

namespace vigil::health {

/// The version of `health_report.schema.json` the JSON report follows
/// (`JSONSchemaVersion`); raised with every change to the report's shape.
inline constexpr const char* json_schema_version = "1.1";

/// What the report says about the tool itself.
struct report_meta {
  std::string tool_version; ///< `ToolVersion`
};

/// The detailed JSON report (SPEC §14): the guide's field names with §14's
/// renames, pretty-printed, ending in a newline.
std::string json_report(const facts& f, const verdict& v, const report_meta& meta);

/// The concise text report, laid out like the guide's example.
std::string text_report(const facts& f, const verdict& v);

} // namespace vigil::health
