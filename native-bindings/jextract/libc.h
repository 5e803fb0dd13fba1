/* The libc calls and constants dioring uses (compiled with -D_GNU_SOURCE for O_DIRECT). */
#include <fcntl.h>
#include <unistd.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/statfs.h>
#include <linux/fs.h>
#include <linux/falloc.h>
#include <linux/magic.h>
