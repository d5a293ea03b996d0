// The program host/windows/process.cpp's tests start (process_test.cpp): one
// small, predictable child for each behaviour, chosen by its first argument.
#include <chrono>
#include <stdexcept>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <io.h>
#include <string>
#include <thread>
#include <windows.h>

#include "host/fatal_fault.hpp"

int main(int argc, char** argv) {
  _setmode(_fileno(stdout), _O_BINARY);
  _setmode(_fileno(stdin), _O_BINARY);
  std::string mode = argc > 1 ? argv[1] : "";
  std::string arg = argc > 2 ? argv[2] : "";
  if (mode == "cat") { // stdin to stdout
    int c;
    while ((c = std::getchar()) != EOF)
      std::putchar(c);
  } else if (mode == "both") { // one line on each stream
    std::fputs("to out", stdout);
    std::fflush(stdout);
    std::fputs("to err", stderr);
  } else if (mode == "env") {
    const char* value = std::getenv(arg.c_str());
    std::fputs(value ? value : "(unset)", stdout);
  } else if (mode == "args") { // each argument on its own line, as received
    for (int i = 2; i < argc; ++i)
      std::printf("%s\n", argv[i]);
  } else if (mode == "fault") { // host/fatal_fault.hpp: an access violation, reported
    vigil::report_fatal_faults(arg);
    *static_cast<volatile int*>(nullptr) = 1;
  } else if (mode == "throw") { // and an exception nobody catches
    vigil::report_fatal_faults(arg);
    std::thread{[] { throw std::runtime_error("the test's exception"); }}.join();
  } else if (mode == "exit") {
    return std::atoi(arg.c_str());
  } else if (mode == "sleep") {
    std::this_thread::sleep_for(std::chrono::milliseconds{std::atoi(arg.c_str())});
  } else if (mode == "mutex") { // owns the named mutex `arg`, says so, then sleeps
    HANDLE mutex = ::CreateMutexA(nullptr, TRUE, arg.c_str());
    if (mutex == nullptr || ::GetLastError() == ERROR_ALREADY_EXISTS)
      return 3;
    std::puts("owned");
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::milliseconds{std::atoi(argc > 3 ? argv[3] : "0")});
  } else if (mode == "flood") {
    std::string chunk(4096, 'x');
    for (long left = std::atol(arg.c_str()); left > 0; left -= 4096)
      std::fwrite(chunk.data(), 1, std::min<long>(left, 4096), stdout);
  } else if (mode == "daemon") { // leaves a child holding our stdout, then exits
    wchar_t self[MAX_PATH];
    ::GetModuleFileNameW(nullptr, self, MAX_PATH);
    std::wstring line = L"child sleep " + std::to_wstring(std::atoi(arg.c_str()));
    STARTUPINFOW si{};
    si.cb = sizeof(si);
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = ::GetStdHandle(STD_INPUT_HANDLE);
    si.hStdOutput = ::GetStdHandle(STD_OUTPUT_HANDLE);
    si.hStdError = ::GetStdHandle(STD_ERROR_HANDLE);
    PROCESS_INFORMATION pi{};
    if (!::CreateProcessW(self, line.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr, &si, &pi))
      return 2;
    std::fputs("started", stdout);
  } else if (mode == "write") { // write argv[3] to the file argv[2]
    FILE* f = std::fopen(arg.c_str(), "wb");
    if (!f)
      return 2;
    std::fputs(argc > 3 ? argv[3] : "", f);
    std::fclose(f);
  } else {
    return 100;
  }
  return 0;
}
