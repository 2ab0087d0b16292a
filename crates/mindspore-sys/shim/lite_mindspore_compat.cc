// Keeps the shims' C++ runtime floor at what the MindSpore Lite libraries themselves need
// (GLIBCXX_3.4.22, GLIBC_2.17), below Node 20's (GLIBCXX_3.4.25, GLIBC_2.28), when they are
// compiled by a newer GCC (see tools/runtime/glibc-toolchain.mjs). Two symbols that the GCC 11+
// headers reference from inline code would raise it:
//  - std::__throw_bad_array_new_length (GLIBCXX_3.4.29), called by std::allocator when a size
//    overflows; defined here with the same behaviour (the exception type is GCC 4.9's);
//  - __libc_single_threaded (GLIBC_2.32), read by the reference counts of shared_ptr and the
//    old-ABI std::string to skip atomics in a single-threaded process; defined here as 0 ("not
//    known to be single-threaded"), so they always use atomics: correct, and what they do on
//    glibc < 2.32 anyway.
// Both are hidden (-fvisibility=hidden): they bind inside the shim and are not exported, so they
// never replace the real ones for anything else in the process.
#include <new>

namespace std {
[[noreturn]] void __throw_bad_array_new_length() { throw std::bad_array_new_length(); }
}  // namespace std

extern "C" {
char __libc_single_threaded = 0;
}
