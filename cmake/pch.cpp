// Anchors the shared precompiled header (cmake/vigil.cmake).
