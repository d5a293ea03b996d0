#pragma once

#include <doctest/doctest.h>
#include <filesystem>
#include <string>

#include "host/hive.hpp"
#include "host/hive_file.hpp"

#include "tests/support/agent.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace vigil::test {

/// What the installer tests read of a host they installed: a base for their
/// fixtures (`struct host : installed_host<host>`), which have a `root`
/// directory and the `platform` it reports to.
template <class Host>
struct installed_host {
  std::string host_id() const {
    return host_id_of(self().root);
  }

  int agent_pid() const {
    return running_agent_pid(self().root);
  }

  bool listed(const std::string& host) const {
    return test::listed(self().platform, host);
  }

  std::string installer_log() const {
    return read_file(self().root / "var/opt/vigil/CloudAgentInstaller.log");
  }

  std::string version() const {
    return read_file(self().root / "opt/vigil/VERSION");
  }

  void stop_agent() const {
    test::stop_agent(self().root);
  }

  /// Checks what vigil-setup's install steps wrote for `ids` and `platform`
  /// (however the install ran: vigil-setup, dpkg, rpm): the hive's values,
  /// the pinned root key, the CA bundle, the reference copy of the programs.
  void check_configured() const {
    const auto& h = self();
    auto hive = hive_file{h.root / "etc/opt/vigil/registry.reg"}.load();
    REQUIRE(hive);
    CHECK(hive->get(std::string{agent_key}, "CustomerId")->as_string() == h.ids.first);
    CHECK(hive->get(std::string{agent_key}, "ActivationId")->as_string() == h.ids.second);
    CHECK(hive->get(std::string{agent_key}, "WebServiceUri")->as_string()
          == h.platform.web_service_uri());
    auto* root_key = hive->get(std::string{agent_key} + "\\Trust", "RootKey");
    REQUIRE(root_key != nullptr);
    CHECK(*root_key->as_string() + "\n" == read_file(h.platform.trust_key_file()));
    CHECK(read_file(h.root / "var/opt/vigil/state/ca-bundle.pem")
          == read_file(h.platform.ca_file()));
    CHECK(std::filesystem::exists(h.root / "var/opt/vigil/state/pristine/0.1.0"));
  }

private:
  const Host& self() const {
    return static_cast<const Host&>(*this);
  }
};

} // namespace vigil::test
