#pragma once

// The events of a fanotify read (Linux), copied out of the kernel's bytes.
// Kept apart from the watch (host/posix/tamper_watch.cpp) so that the layout
// rules are unit-tested on bytes a test writes, without the privileges
// fanotify needs.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vigil {

/// One fanotify event: who, what, and where (reported with
/// FAN_REPORT_DFID_NAME: the directory's file handle and the entry's name).
struct fanotify_event {
  uint64_t mask = 0;                    ///< FAN_* bits
  int32_t pid = 0;                      ///< the process that made the change
  int32_t fd = -1;                      ///< an open descriptor, or FAN_NOFD (-1)
  std::vector<unsigned char> directory; ///< the struct file_handle bytes; empty when none came
  std::string name;                     ///< the entry in that directory ("." for itself)
};

/// The events in `size` bytes as read(2) returned them from a fanotify
/// descriptor. The kernel aligns events and their information records to 4
/// bytes, not to the 8 that fanotify_event_metadata's 64-bit mask asks for:
/// nothing is read in place through a struct pointer (that is undefined
/// behaviour, which UBSan reported from the agent), every field is copied
/// out. An event of another metadata version, or one whose lengths run past
/// `size`, ends the parse: what follows cannot be framed. Descriptors of the
/// events returned are the caller's to close.
std::vector<fanotify_event> parse_fanotify_events(const char* bytes, size_t size);

} // namespace vigil
