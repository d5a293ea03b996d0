#pragma once

// Test support: environment variables set for one scope.

#include <cstdlib>
#include <optional>
#include <string>

namespace vigil::test {

/// Sets the environment variable `name` to `value` (removes it for nullopt)
/// and puts back what was there when the scope ends.
class scoped_environment {
public:
  scoped_environment(std::string name, std::optional<std::string> value) : name_{std::move(name)} {
    if (const char* old = std::getenv(name_.c_str()))
      saved_ = old;
    set(value);
  }

  ~scoped_environment() {
    set(saved_);
  }

  scoped_environment(const scoped_environment&) = delete;
  scoped_environment& operator=(const scoped_environment&) = delete;

private:
  void set(const std::optional<std::string>& value) const {
    if (value)
      ::setenv(name_.c_str(), value->c_str(), 1);
    else
      ::unsetenv(name_.c_str());
  }

  std::string name_;
  std::optional<std::string> saved_;
};

} // namespace vigil::test
