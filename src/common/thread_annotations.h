#pragma once
// Clang thread-safety annotations (checked with -DCOSTGATE_THREAD_SAFETY=ON, clang only); on
// other compilers they vanish. Use them where a class holds a mutex: GUARDED_BY(mutex_).

#if defined(__clang__)
#define COSTGATE_TSA(x) __attribute__((x))
#else
#define COSTGATE_TSA(x)
#endif

#define CAPABILITY(x) COSTGATE_TSA(capability(x))
#define GUARDED_BY(x) COSTGATE_TSA(guarded_by(x))
#define PT_GUARDED_BY(x) COSTGATE_TSA(pt_guarded_by(x))
#define REQUIRES(...) COSTGATE_TSA(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) COSTGATE_TSA(requires_shared_capability(__VA_ARGS__))
#define EXCLUDES(...) COSTGATE_TSA(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) COSTGATE_TSA(acquire_capability(__VA_ARGS__))
#define RELEASE(...) COSTGATE_TSA(release_capability(__VA_ARGS__))
#define SCOPED_CAPABILITY COSTGATE_TSA(scoped_lockable)
