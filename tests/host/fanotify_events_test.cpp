// parse_fanotify_events (host/fanotify_events.hpp): the kernel's bytes, as a
// test writes them, framed and copied out at any alignment.

#include "host/fanotify_events.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/fanotify.h>

using namespace vigil;

namespace {

template <class T>
void append(std::string& bytes, const T& value) {
  bytes.append(reinterpret_cast<const char*>(&value), sizeof value);
}

/// Appends one event as the kernel frames it with FAN_REPORT_DFID_NAME: the
/// metadata, then a DFID_NAME record (header, fsid, file handle, name and
/// its NUL), padded to 4 bytes as the kernel pads it.
void append_event(std::string& bytes, uint64_t mask, int32_t pid, const std::string& handle,
                  const std::string& name) {
  std::string record;
  fanotify_event_info_header header{};
  header.info_type = FAN_EVENT_INFO_TYPE_DFID_NAME;
  append(record, header);
  append(record, __kernel_fsid_t{{7, 9}});
  file_handle fh{};
  fh.handle_bytes = static_cast<unsigned>(handle.size());
  fh.handle_type = 1;
  append(record, fh);
  record += handle;
  record += name;
  record += '\0';
  record.resize((record.size() + 3) / 4 * 4, '\0');
  auto len = static_cast<uint16_t>(record.size());
  std::memcpy(record.data() + offsetof(fanotify_event_info_header, len), &len, sizeof len);
  fanotify_event_metadata metadata{};
  metadata.event_len = static_cast<uint32_t>(sizeof metadata + record.size());
  metadata.vers = FANOTIFY_METADATA_VERSION;
  metadata.metadata_len = sizeof metadata;
  metadata.mask = mask;
  metadata.fd = FAN_NOFD;
  metadata.pid = pid;
  append(bytes, metadata);
  bytes += record;
}

/// `bytes` in a buffer aligned as read(2)'s is (8 bytes): only the kernel's
/// own 4-byte framing misaligns what follows the first event.
struct aligned_copy {
  alignas(8) char data[512];
  size_t size;
  explicit aligned_copy(const std::string& bytes) : size{bytes.size()} {
    REQUIRE(bytes.size() <= sizeof data);
    std::memcpy(data, bytes.data(), bytes.size());
  }
};

std::string handle_of(const std::string& bytes) {
  file_handle fh{};
  fh.handle_bytes = static_cast<unsigned>(bytes.size());
  fh.handle_type = 1;
  std::string whole(reinterpret_cast<const char*>(&fh), sizeof fh);
  return whole + bytes;
}

} // namespace

TEST_CASE("fanotify events: an event after one of 4-byte-aligned length is read whole "
          "(its 64-bit mask is not 8-byte aligned there)") {
  std::string bytes;
  append_event(bytes, FAN_MODIFY, 4242, "HANDLE01", "vigil");
  REQUIRE(bytes.size() % 8 == 4); // the second event starts misaligned
  append_event(bytes, FAN_DELETE | FAN_ONDIR, 77, "HANDLE02", ".");
  aligned_copy buffer{bytes};
  auto events = parse_fanotify_events(buffer.data, buffer.size);
  REQUIRE(events.size() == 2);
  CHECK(events[0].mask == FAN_MODIFY);
  CHECK(events[0].pid == 4242);
  CHECK(events[0].fd == FAN_NOFD);
  CHECK(events[0].name == "vigil");
  CHECK(std::string(events[0].directory.begin(), events[0].directory.end())
        == handle_of("HANDLE01"));
  CHECK(events[1].mask == (FAN_DELETE | FAN_ONDIR));
  CHECK(events[1].pid == 77);
  CHECK(events[1].name == ".");
  CHECK(std::string(events[1].directory.begin(), events[1].directory.end())
        == handle_of("HANDLE02"));
}

TEST_CASE("fanotify events: a cut event ends the parse and keeps the ones before it") {
  std::string bytes;
  append_event(bytes, FAN_CREATE, 1, "H1", "a");
  auto first = bytes.size();
  append_event(bytes, FAN_CREATE, 2, "H2", "b");
  for (size_t cut = first; cut < bytes.size(); ++cut) {
    CAPTURE(cut);
    aligned_copy buffer{bytes.substr(0, cut)};
    auto events = parse_fanotify_events(buffer.data, buffer.size);
    REQUIRE(events.size() == 1);
    CHECK(events[0].pid == 1);
  }
}

TEST_CASE("fanotify events: a record longer than its event, or another metadata version, is "
          "not read past") {
  std::string bytes;
  append_event(bytes, FAN_ATTRIB, 5, "H5", "file");
  SUBCASE("record length past the event: the event without a name") {
    uint16_t len = 0xfff0;
    std::memcpy(bytes.data() + sizeof(fanotify_event_metadata)
                  + offsetof(fanotify_event_info_header, len),
                &len, sizeof len);
    aligned_copy buffer{bytes};
    auto events = parse_fanotify_events(buffer.data, buffer.size);
    REQUIRE(events.size() == 1);
    CHECK(events[0].pid == 5);
    CHECK(events[0].name.empty());
    CHECK(events[0].directory.empty());
  }
  SUBCASE("another version: nothing") {
    bytes[offsetof(fanotify_event_metadata, vers)] = FANOTIFY_METADATA_VERSION + 1;
    aligned_copy buffer{bytes};
    CHECK(parse_fanotify_events(buffer.data, buffer.size).empty());
  }
}
