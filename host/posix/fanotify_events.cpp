#include "host/fanotify_events.hpp"

#include <cstring>
#include <fcntl.h>
#include <sys/fanotify.h>

namespace vigil {

namespace {

/// A `T` copied from `at` (any alignment).
template <class T>
T copy_of(const char* at) {
  T value;
  std::memcpy(&value, at, sizeof value);
  return value;
}

/// The directory handle and entry name of a FAN_EVENT_INFO_TYPE_DFID_NAME
/// record of `len` bytes at `record`: the header and fsid, then a struct
/// file_handle (its size from handle_bytes), then the name, NUL-terminated.
void read_directory_name(const char* record, size_t len, fanotify_event& event) {
  size_t handle_at = offsetof(fanotify_event_info_fid, handle);
  if (len < handle_at + sizeof(file_handle))
    return;
  auto handle = copy_of<file_handle>(record + handle_at);
  size_t handle_size = sizeof(file_handle) + handle.handle_bytes;
  if (handle_at + handle_size > len)
    return;
  event.directory.assign(record + handle_at, record + handle_at + handle_size);
  const char* name = record + handle_at + handle_size;
  event.name.assign(name, ::strnlen(name, len - handle_at - handle_size));
}

} // namespace

std::vector<fanotify_event> parse_fanotify_events(const char* bytes, size_t size) {
  std::vector<fanotify_event> events;
  for (size_t offset = 0; size - offset >= sizeof(fanotify_event_metadata);) {
    auto metadata = copy_of<fanotify_event_metadata>(bytes + offset);
    if (metadata.vers != FANOTIFY_METADATA_VERSION
        || metadata.event_len < sizeof(fanotify_event_metadata)
        || metadata.metadata_len < sizeof(fanotify_event_metadata)
        || metadata.metadata_len > metadata.event_len || metadata.event_len > size - offset)
      break;
    fanotify_event event;
    event.mask = metadata.mask;
    event.pid = metadata.pid;
    event.fd = metadata.fd;
    const char* records = bytes + offset + metadata.metadata_len;
    size_t records_size = metadata.event_len - metadata.metadata_len;
    for (size_t at = 0; records_size - at >= sizeof(fanotify_event_info_header);) {
      auto header = copy_of<fanotify_event_info_header>(records + at);
      if (header.len < sizeof header || header.len > records_size - at)
        break;
      if (header.info_type == FAN_EVENT_INFO_TYPE_DFID_NAME)
        read_directory_name(records + at, header.len, event);
      at += header.len;
    }
    events.push_back(std::move(event));
    offset += metadata.event_len;
  }
  return events;
}

} // namespace vigil
