/* What dioring binds from the kernel's io_uring interface. */
#include <linux/io_uring.h>
