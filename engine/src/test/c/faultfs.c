/*
 * faultfs: a FUSE passthrough over a backing directory that injects faults, for tests.
 *
 *   faultfs BACKING_DIR CONFIG_FILE MOUNTPOINT [fuse options]   (run with -f -s -o auto_unmount)
 *
 * Every file of BACKING_DIR appears under MOUNTPOINT. Before each request the daemon
 * stat()s CONFIG_FILE and re-reads it when it changed (replace it with rename(2) so a
 * request never sees half a file). One rule per line, '#' starts a comment; NAME, when
 * given, limits the rule to that file (its path in the mount, e.g. /in):
 *
 *   cut OFFSET [NAME]            a read that spans OFFSET (off < OFFSET < off + size)
 *                                ends at OFFSET: a short read of OFFSET - off bytes
 *   zero OFFSET [NAME]           a read that starts exactly at OFFSET returns 0 bytes
 *   read_eio START END [NAME]    a read overlapping [START, END) fails with EIO
 *   write_eio START END [NAME]   a write overlapping [START, END) fails with EIO
 *                                (nothing of it is written)
 *   delay_ms MS                  every read and write request first sleeps MS ms
 *
 * Files are opened on the backing side without O_DIRECT, and every file is direct_io
 * (fuse_config.direct_io and fuse_file_info.direct_io; libfuse 3.14's high-level API takes
 * no -o direct_io):
 * the kernel sends every read and write as it was asked (split at 1 MiB), never through
 * the page cache, so the faults reach the caller's system call (or io_uring CQE) as is.
 * Built by io.dioring.testing.FaultFs with gcc $(pkg-config --cflags --libs fuse3).
 */
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE

#include <fuse.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_RULES 64

enum rule_kind { CUT, ZERO, READ_EIO, WRITE_EIO };

struct rule {
    enum rule_kind kind;
    long long start;
    long long end;
    char name[PATH_MAX];
};

static char backing[PATH_MAX];
static char config_path[PATH_MAX];
static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rule rules[MAX_RULES];
static int rule_count;
static long delay_ms;
static struct stat config_seen;

static void backing_path(char *out, const char *path) {
    snprintf(out, PATH_MAX, "%s%s", backing, path);
}

/* Re-reads the config when its inode, size or mtime changed since the last request. */
static void reload_config(void) {
    struct stat st;
    pthread_mutex_lock(&config_lock);
    if (stat(config_path, &st) != 0) {
        rule_count = 0;
        delay_ms = 0;
        memset(&config_seen, 0, sizeof config_seen);
        pthread_mutex_unlock(&config_lock);
        return;
    }
    if (st.st_ino == config_seen.st_ino && st.st_size == config_seen.st_size
            && st.st_mtim.tv_sec == config_seen.st_mtim.tv_sec
            && st.st_mtim.tv_nsec == config_seen.st_mtim.tv_nsec) {
        pthread_mutex_unlock(&config_lock);
        return;
    }
    config_seen = st;
    rule_count = 0;
    delay_ms = 0;
    FILE *f = fopen(config_path, "r");
    if (f != NULL) {
        char line[PATH_MAX + 128];
        while (fgets(line, sizeof line, f) != NULL && rule_count < MAX_RULES) {
            char word[32];
            long long a = 0, b = 0;
            char name[PATH_MAX] = "";
            struct rule *r = &rules[rule_count];
            if (line[0] == '#' || sscanf(line, "%31s", word) != 1) {
                continue;
            }
            if (strcmp(word, "cut") == 0 && sscanf(line, "%*s %lld %4095s", &a, name) >= 1) {
                r->kind = CUT;
                r->start = a;
                r->end = a;
            } else if (strcmp(word, "zero") == 0 && sscanf(line, "%*s %lld %4095s", &a, name) >= 1) {
                r->kind = ZERO;
                r->start = a;
                r->end = a;
            } else if ((strcmp(word, "read_eio") == 0 || strcmp(word, "write_eio") == 0)
                    && sscanf(line, "%*s %lld %lld %4095s", &a, &b, name) >= 2) {
                r->kind = word[0] == 'r' ? READ_EIO : WRITE_EIO;
                r->start = a;
                r->end = b;
            } else if (strcmp(word, "delay_ms") == 0 && sscanf(line, "%*s %lld", &a) == 1) {
                delay_ms = (long) a;
                continue;
            } else {
                fprintf(stderr, "faultfs: ignoring config line: %s", line);
                continue;
            }
            snprintf(r->name, sizeof r->name, "%s", name);
            rule_count++;
        }
        fclose(f);
    }
    pthread_mutex_unlock(&config_lock);
}

static int applies(const struct rule *r, const char *path) {
    return r->name[0] == '\0' || (path != NULL && strcmp(r->name, path) == 0);
}

static void maybe_delay(void) {
    long ms = delay_ms;
    if (ms > 0) {
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
    }
}

static int ff_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
    int r;
    if (fi != NULL) {
        r = fstat((int) fi->fh, st);
    } else {
        char p[PATH_MAX];
        backing_path(p, path);
        r = lstat(p, st);
    }
    return r == 0 ? 0 : -errno;
}

static int ff_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
        struct fuse_file_info *fi, enum fuse_readdir_flags flags) {
    (void) off;
    (void) fi;
    (void) flags;
    char p[PATH_MAX];
    backing_path(p, path);
    DIR *d = opendir(p);
    if (d == NULL) {
        return -errno;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        memset(&st, 0, sizeof st);
        st.st_ino = e->d_ino;
        st.st_mode = (mode_t) e->d_type << 12;
        if (fill(buf, e->d_name, &st, 0, 0) != 0) {
            break;
        }
    }
    closedir(d);
    return 0;
}

static int ff_open(const char *path, struct fuse_file_info *fi) {
    char p[PATH_MAX];
    backing_path(p, path);
    int fd = open(p, fi->flags & ~O_DIRECT);
    if (fd < 0) {
        return -errno;
    }
    fi->fh = (uint64_t) fd;
    fi->direct_io = 1;
    return 0;
}

static int ff_create(const char *path, mode_t mode, struct fuse_file_info *fi) {
    char p[PATH_MAX];
    backing_path(p, path);
    int fd = open(p, (fi->flags & ~O_DIRECT) | O_CREAT, mode);
    if (fd < 0) {
        return -errno;
    }
    fi->fh = (uint64_t) fd;
    fi->direct_io = 1;
    return 0;
}

static int ff_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
    reload_config();
    maybe_delay();
    size_t want = size;
    pthread_mutex_lock(&config_lock);
    for (int i = 0; i < rule_count; i++) {
        const struct rule *r = &rules[i];
        if (!applies(r, path)) {
            continue;
        }
        if (r->kind == READ_EIO && off < r->end && r->start < off + (off_t) size) {
            pthread_mutex_unlock(&config_lock);
            return -EIO;
        }
        if (r->kind == ZERO && off == r->start) {
            want = 0;
        }
        if (r->kind == CUT && off < r->start && r->start < off + (off_t) want) {
            want = (size_t) (r->start - off);
        }
    }
    pthread_mutex_unlock(&config_lock);
    ssize_t n = want == 0 ? 0 : pread((int) fi->fh, buf, want, off);
    return n < 0 ? -errno : (int) n;
}

static int ff_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
    reload_config();
    maybe_delay();
    pthread_mutex_lock(&config_lock);
    for (int i = 0; i < rule_count; i++) {
        const struct rule *r = &rules[i];
        if (applies(r, path) && r->kind == WRITE_EIO && off < r->end && r->start < off + (off_t) size) {
            pthread_mutex_unlock(&config_lock);
            return -EIO;
        }
    }
    pthread_mutex_unlock(&config_lock);
    ssize_t n = pwrite((int) fi->fh, buf, size, off);
    return n < 0 ? -errno : (int) n;
}

static int ff_release(const char *path, struct fuse_file_info *fi) {
    (void) path;
    close((int) fi->fh);
    return 0;
}

static int ff_fsync(const char *path, int datasync, struct fuse_file_info *fi) {
    (void) path;
    int r = datasync ? fdatasync((int) fi->fh) : fsync((int) fi->fh);
    return r == 0 ? 0 : -errno;
}

static int ff_truncate(const char *path, off_t size, struct fuse_file_info *fi) {
    int r;
    if (fi != NULL) {
        r = ftruncate((int) fi->fh, size);
    } else {
        char p[PATH_MAX];
        backing_path(p, path);
        r = truncate(p, size);
    }
    return r == 0 ? 0 : -errno;
}

static int ff_fallocate(const char *path, int mode, off_t off, off_t len, struct fuse_file_info *fi) {
    (void) path;
    return fallocate((int) fi->fh, mode, off, len) == 0 ? 0 : -errno;
}

static int ff_unlink(const char *path) {
    char p[PATH_MAX];
    backing_path(p, path);
    return unlink(p) == 0 ? 0 : -errno;
}

static int ff_mkdir(const char *path, mode_t mode) {
    char p[PATH_MAX];
    backing_path(p, path);
    return mkdir(p, mode) == 0 ? 0 : -errno;
}

static int ff_rmdir(const char *path) {
    char p[PATH_MAX];
    backing_path(p, path);
    return rmdir(p) == 0 ? 0 : -errno;
}

static int ff_rename(const char *from, const char *to, unsigned int flags) {
    char a[PATH_MAX], b[PATH_MAX];
    if (flags != 0) {
        return -EINVAL;
    }
    backing_path(a, from);
    backing_path(b, to);
    return rename(a, b) == 0 ? 0 : -errno;
}

static int ff_chmod(const char *path, mode_t mode, struct fuse_file_info *fi) {
    (void) fi;
    char p[PATH_MAX];
    backing_path(p, path);
    return chmod(p, mode) == 0 ? 0 : -errno;
}

static int ff_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi) {
    (void) fi;
    char p[PATH_MAX];
    backing_path(p, path);
    return lchown(p, uid, gid) == 0 ? 0 : -errno;
}

static int ff_utimens(const char *path, const struct timespec ts[2], struct fuse_file_info *fi) {
    (void) fi;
    char p[PATH_MAX];
    backing_path(p, path);
    return utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}

static int ff_statfs(const char *path, struct statvfs *st) {
    char p[PATH_MAX];
    backing_path(p, path);
    return statvfs(p, st) == 0 ? 0 : -errno;
}

static void *ff_init(struct fuse_conn_info *conn, struct fuse_config *cfg) {
    (void) conn;
    cfg->direct_io = 1;
    cfg->use_ino = 1;
    cfg->attr_timeout = 0;
    cfg->entry_timeout = 0;
    cfg->negative_timeout = 0;
    return NULL;
}

static const struct fuse_operations ops = {
    .init = ff_init,
    .getattr = ff_getattr,
    .readdir = ff_readdir,
    .open = ff_open,
    .create = ff_create,
    .read = ff_read,
    .write = ff_write,
    .release = ff_release,
    .fsync = ff_fsync,
    .truncate = ff_truncate,
    .fallocate = ff_fallocate,
    .unlink = ff_unlink,
    .mkdir = ff_mkdir,
    .rmdir = ff_rmdir,
    .rename = ff_rename,
    .chmod = ff_chmod,
    .chown = ff_chown,
    .utimens = ff_utimens,
    .statfs = ff_statfs,
};

/*
 * The daemon must not outlive the test JVM that started it: when its parent goes away
 * (the JVM was killed), a SIGTERM makes fuse_main unmount and return. The watchdog
 * thread blocks SIGTERM itself so the signal reaches the thread that reads /dev/fuse.
 */
static pid_t parent;

static void *watch_parent(void *unused) {
    (void) unused;
    while (getppid() == parent) {
        struct timespec ts = { 0, 200 * 1000000L };
        nanosleep(&ts, NULL);
    }
    kill(getpid(), SIGTERM);
    return NULL;
}

static void start_parent_watch(void) {
    sigset_t all, old;
    pthread_t t;
    parent = getppid();
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    pthread_create(&t, NULL, watch_parent, NULL);
    pthread_detach(t);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int main(int argc, char *argv[]) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s BACKING_DIR CONFIG_FILE MOUNTPOINT [fuse options]\n", argv[0]);
        return 2;
    }
    if (realpath(argv[1], backing) == NULL) {
        perror(argv[1]);
        return 2;
    }
    snprintf(config_path, sizeof config_path, "%s", argv[2]);
    start_parent_watch();
    /* fuse_main sees: argv[0] MOUNTPOINT [options] */
    argv[2] = argv[0];
    return fuse_main(argc - 2, argv + 2, &ops, NULL);
}
