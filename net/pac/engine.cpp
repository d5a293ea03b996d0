#include "net/pac/engine.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <duktape.h>
#include <unistd.h>

#include "common/error.hpp"
#include "net/pac/addresses.hpp"
#include "net/pac/protocol.hpp"
#include "net/pac/shexp.hpp"

namespace vigil {

namespace detail {
extern const char pac_helpers_js[]; // generated from net/pac/helpers.js
} // namespace detail

namespace {

/// Every Duktape allocation goes through this budget: the heap cap is the
/// first line of defence against a PAC that allocates without bound (RLIMIT_AS
/// in vigil-pac is the second).
struct heap_budget {
  size_t limit = 0;
  size_t used = 0;
  size_t refusals = 0; ///< allocations refused since the counter was reset
};

// Each block carries its size in a header, aligned for any type.
constexpr size_t header_bytes = alignof(std::max_align_t);

void* budget_alloc(void* udata, duk_size_t size) {
  auto* budget = static_cast<heap_budget*>(udata);
  if (size == 0)
    return nullptr;
  if (size > budget->limit - budget->used) {
    ++budget->refusals;
    return nullptr;
  }
  auto* block = static_cast<char*>(std::malloc(size + header_bytes));
  if (block == nullptr) {
    ++budget->refusals;
    return nullptr;
  }
  std::memcpy(block, &size, sizeof(size));
  budget->used += size;
  return block + header_bytes;
}

void budget_free(void* udata, void* ptr) {
  if (ptr == nullptr)
    return;
  auto* budget = static_cast<heap_budget*>(udata);
  auto* block = static_cast<char*>(ptr) - header_bytes;
  size_t size;
  std::memcpy(&size, block, sizeof(size));
  budget->used -= size;
  std::free(block);
}

void* budget_realloc(void* udata, void* ptr, duk_size_t size) {
  if (ptr == nullptr)
    return budget_alloc(udata, size);
  if (size == 0) {
    budget_free(udata, ptr);
    return nullptr;
  }
  auto* budget = static_cast<heap_budget*>(udata);
  auto* block = static_cast<char*>(ptr) - header_bytes;
  size_t old_size;
  std::memcpy(&old_size, block, sizeof(old_size));
  if (size > old_size && size - old_size > budget->limit - budget->used) {
    ++budget->refusals;
    return nullptr;
  }
  auto* grown = static_cast<char*>(std::realloc(block, size + header_bytes));
  if (grown == nullptr) {
    ++budget->refusals;
    return nullptr;
  }
  std::memcpy(grown, &size, sizeof(size));
  budget->used = budget->used - old_size + size;
  return grown + header_bytes;
}

/// Duktape calls this only for errors outside any protected call, which our
/// code never makes, or when it cannot even build an error (out of memory).
/// It must not return.
[[noreturn]] void on_fatal(void* udata, const char* message) {
  auto* budget = static_cast<heap_budget*>(udata);
  std::fprintf(stderr, "vigil-pac: JavaScript engine failure: %s\n", message ? message : "?");
  std::fflush(stderr);
  ::_exit(budget != nullptr && budget->refusals > 0 ? pac_protocol::memory_limit : 70);
}

constexpr size_t max_alert_bytes = 4096;
constexpr const char* stash_key = "vigil_engine";

} // namespace

struct pac_engine::impl {
  heap_budget budget;
  pac_environment environment;
  std::string name;
  duk_context* ctx = nullptr;
  size_t alert_bytes = 0;

  ~impl() {
    if (ctx != nullptr)
      duk_destroy_heap(ctx);
  }
};

namespace {

// Natives. They run inside Duktape calls: a Duktape error unwinds them with
// longjmp, so C++ work happens before anything is pushed, and a std::function
// that throws becomes a JavaScript error, never a C++ exception through C.
// (An allocation failure while pushing may leak the native's vectors; the
// engine is discarded after one.)

pac_engine::impl& engine_of(duk_context* ctx) {
  duk_push_global_stash(ctx);
  duk_get_prop_string(ctx, -1, stash_key);
  auto* self = static_cast<pac_engine::impl*>(duk_get_pointer(ctx, -1));
  duk_pop_2(ctx);
  return *self;
}

void push_strings(duk_context* ctx, const std::vector<std::string>& values) {
  duk_push_array(ctx);
  for (duk_uarridx_t i = 0; i < values.size(); ++i) {
    duk_push_lstring(ctx, values[i].data(), values[i].size());
    duk_put_prop_index(ctx, -2, i);
  }
}

/// Pushes the addresses `list()` returns as a JavaScript array; a `list` that
/// throws becomes a JavaScript error (DUK_RET_ERROR).
template <class List>
duk_ret_t push_address_list(duk_context* ctx, List&& list) {
  std::vector<std::string> addresses;
  bool failed = false;
  try {
    addresses = list();
  } catch (...) {
    failed = true;
  }
  if (failed)
    return DUK_RET_ERROR;
  push_strings(ctx, addresses);
  return 1;
}

duk_ret_t native_resolve(duk_context* ctx) {
  auto& self = engine_of(ctx);
  std::string host = duk_require_string(ctx, 0);
  return push_address_list(ctx, [&] { return self.environment.resolve(host); });
}

duk_ret_t native_my_addresses(duk_context* ctx) {
  auto& self = engine_of(ctx);
  return push_address_list(ctx, [&] { return self.environment.my_addresses(); });
}

duk_ret_t native_now(duk_context* ctx) {
  auto& self = engine_of(ctx);
  bool gmt = duk_to_boolean(ctx, 0);
  std::time_t now = 0;
  try {
    now = self.environment.now();
  } catch (...) {
    return DUK_RET_ERROR;
  }
  std::tm parts{};
  if (gmt)
    ::gmtime_r(&now, &parts);
  else
    ::localtime_r(&now, &parts);
  int fields[] = {parts.tm_year + 1900, parts.tm_mon,  parts.tm_mday, parts.tm_wday,
                  parts.tm_hour,        parts.tm_min, parts.tm_sec};
  duk_push_array(ctx);
  for (duk_uarridx_t i = 0; i < 7; ++i) {
    duk_push_int(ctx, fields[i]);
    duk_put_prop_index(ctx, -2, i);
  }
  return 1;
}

duk_ret_t native_in_net_ex(duk_context* ctx) {
  duk_push_boolean(ctx, address_in_prefix(duk_require_string(ctx, 0), duk_require_string(ctx, 1)));
  return 1;
}

duk_ret_t native_sort_ips(duk_context* ctx) {
  auto sorted = sort_address_list(duk_require_string(ctx, 0));
  if (!sorted) {
    duk_push_false(ctx);
    return 1;
  }
  std::string text = std::move(*sorted);
  duk_push_lstring(ctx, text.data(), text.size());
  return 1;
}

duk_ret_t native_shexp_match(duk_context* ctx) {
  duk_size_t text_size = 0, pattern_size = 0;
  const char* text = duk_require_lstring(ctx, 0, &text_size);
  const char* pattern = duk_require_lstring(ctx, 1, &pattern_size);
  duk_push_boolean(ctx, shexp_match({text, text_size}, {pattern, pattern_size}));
  return 1;
}

duk_ret_t native_alert(duk_context* ctx) {
  auto& self = engine_of(ctx);
  duk_size_t size = 0;
  const char* text = duk_safe_to_lstring(ctx, 0, &size);
  if (self.alert_bytes < max_alert_bytes) {
    auto shown = std::min<size_t>(size, max_alert_bytes - self.alert_bytes);
    self.alert_bytes += shown;
    std::fprintf(stderr, "vigil-pac: %s alert: %.*s\n", self.name.c_str(),
                 static_cast<int>(shown), text);
  }
  return 0;
}

/// "TypeError: x is not a function (line 3)": the error at the top of the
/// stack (replaced by the text) with its line when the message lacks one.
duk_ret_t describe_error(duk_context* ctx, void*) {
  duk_idx_t error = duk_get_top(ctx) - 1;
  duk_dup(ctx, error);
  duk_to_string(ctx, -1);
  int line = 0;
  if (duk_is_object(ctx, error)) {
    duk_get_prop_string(ctx, error, "lineNumber");
    if (duk_is_number(ctx, -1))
      line = duk_get_int(ctx, -1);
    duk_pop(ctx);
  }
  if (line > 0 && std::strstr(duk_get_string(ctx, -1), "(line ") == nullptr) {
    duk_push_sprintf(ctx, " (line %d)", line);
    duk_concat(ctx, 2);
  }
  return 1;
}

/// Reads the error left by a failed protected call, pops it, and names it.
caf::error take_error(pac_engine::impl& self, std::string_view doing) {
  std::string message = "(no message)";
  if (duk_safe_call(self.ctx, describe_error, nullptr, 1, 1) == DUK_EXEC_SUCCESS)
    message = duk_get_string(self.ctx, -1);
  duk_pop(self.ctx);
  if (self.budget.refusals > 0)
    return make_error(ec::too_large,
                      self.name + " exceeded its memory limit of "
                        + std::to_string(self.budget.limit >> 20) + " MiB while " + std::string{doing}
                        + " (" + message + ")");
  return make_error(ec::parse_error, self.name + ": " + message + " while " + std::string{doing});
}

struct source {
  const char* text;
  size_t size;
  const char* file_name;
};

duk_ret_t run_source(duk_context* ctx, void* udata) {
  auto* code = static_cast<const source*>(udata);
  duk_push_string(ctx, code->file_name);
  duk_compile_lstring_filename(ctx, 0, code->text, code->size);
  duk_call(ctx, 0);
  duk_pop(ctx);
  return 0;
}

duk_ret_t install_natives(duk_context* ctx, void* udata) {
  duk_push_global_stash(ctx);
  duk_push_pointer(ctx, udata);
  duk_put_prop_string(ctx, -2, stash_key);
  duk_pop(ctx);
  struct {
    const char* name;
    duk_c_function function;
    duk_idx_t arguments;
  } natives[] = {{"__vigil_resolve", native_resolve, 1},
                 {"__vigil_my_addresses", native_my_addresses, 0},
                 {"__vigil_now", native_now, 1},
                 {"__vigil_in_net_ex", native_in_net_ex, 2},
                 {"__vigil_sort_ips", native_sort_ips, 1},
                 {"__vigil_shexp_match", native_shexp_match, 2},
                 {"alert", native_alert, 1}};
  for (auto& native : natives) {
    duk_push_c_function(ctx, native.function, native.arguments);
    duk_put_global_string(ctx, native.name);
  }
  return 0;
}

const char* entry_point(duk_context* ctx) {
  for (const char* name : {"FindProxyForURLEx", "FindProxyForURL"}) {
    duk_get_global_string(ctx, name);
    bool defined = duk_is_function(ctx, -1);
    duk_pop(ctx);
    if (defined)
      return name;
  }
  return nullptr;
}

struct call {
  const std::string* url;
  const std::string* host;
};

duk_ret_t call_find_proxy(duk_context* ctx, void* udata) {
  auto* args = static_cast<const call*>(udata);
  const char* name = entry_point(ctx);
  if (name == nullptr)
    return duk_error(ctx, DUK_ERR_REFERENCE_ERROR, "FindProxyForURL is not defined");
  duk_get_global_string(ctx, name);
  duk_push_lstring(ctx, args->url->data(), args->url->size());
  duk_push_lstring(ctx, args->host->data(), args->host->size());
  duk_call(ctx, 2);
  if (!duk_is_string(ctx, -1))
    return duk_error(ctx, DUK_ERR_TYPE_ERROR, "%s returned %s, not a string", name,
                     duk_safe_to_string(ctx, -1));
  return 1;
}

duk_ret_t evaluate_to_string(duk_context* ctx, void* udata) {
  auto* expression = static_cast<const std::string*>(udata);
  duk_eval_lstring(ctx, expression->data(), expression->size());
  duk_to_string(ctx, -1);
  return 1;
}

/// Runs `function` (with `udata`) as a protected call that leaves one string on
/// the stack, and returns that string; a failed call is the error `take_error`
/// names, while `doing` `subject` ("finding the proxy for " and the URL).
caf::expected<std::string> call_for_string(pac_engine::impl& self, duk_safe_call_function function,
                                           void* udata, std::string_view doing,
                                           const std::string& subject) {
  self.budget.refusals = 0;
  if (duk_safe_call(self.ctx, function, udata, 0, 1) != DUK_EXEC_SUCCESS)
    return take_error(self, std::string{doing} + subject);
  duk_size_t size = 0;
  const char* text = duk_get_lstring(self.ctx, -1, &size);
  std::string answer{text, size};
  duk_pop(self.ctx);
  return answer;
}

} // namespace

caf::expected<std::unique_ptr<pac_engine>> pac_engine::load(std::string_view script,
                                                            pac_environment environment,
                                                            size_t heap_limit, std::string name) {
  auto state = std::make_unique<impl>();
  state->budget.limit = heap_limit;
  state->environment = std::move(environment);
  state->name = std::move(name);
  state->ctx = duk_create_heap(budget_alloc, budget_realloc, budget_free, &state->budget, on_fatal);
  if (state->ctx == nullptr)
    return make_error(ec::too_large, "cannot create a JavaScript heap within "
                                       + std::to_string(heap_limit) + " bytes");
  auto* ctx = state->ctx;
  if (duk_safe_call(ctx, install_natives, state.get(), 0, 1) != DUK_EXEC_SUCCESS)
    return take_error(*state, "installing the helper functions");
  duk_pop(ctx);
  source helpers{detail::pac_helpers_js, std::strlen(detail::pac_helpers_js), "helpers.js"};
  if (duk_safe_call(ctx, run_source, &helpers, 0, 1) != DUK_EXEC_SUCCESS)
    return take_error(*state, "loading the helper functions");
  duk_pop(ctx);
  source pac{script.data(), script.size(), state->name.c_str()};
  if (duk_safe_call(ctx, run_source, &pac, 0, 1) != DUK_EXEC_SUCCESS)
    return take_error(*state, "loading the script");
  duk_pop(ctx);
  if (entry_point(ctx) == nullptr)
    return make_error(ec::not_found,
                      state->name + " defines neither FindProxyForURL nor FindProxyForURLEx");
  return std::unique_ptr<pac_engine>{new pac_engine{std::move(state)}};
}

pac_engine::pac_engine(std::unique_ptr<impl> state) : impl_{std::move(state)} {
}

pac_engine::~pac_engine() = default;

caf::expected<std::string> pac_engine::find_proxy(std::string_view url, std::string_view host) {
  std::string url_text{url};
  std::string host_text{host};
  call args{&url_text, &host_text};
  return call_for_string(*impl_, call_find_proxy, &args, "finding the proxy for ", url_text);
}

caf::expected<std::string> pac_engine::evaluate(std::string_view expression) {
  std::string text{expression};
  return call_for_string(*impl_, evaluate_to_string, &text, "evaluating ", text);
}

} // namespace vigil
