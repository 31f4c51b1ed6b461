/* test_cmd_config.c - settings precedence (default < file < env < flag) and clear errors. */
#include <stdlib.h>
#include <unistd.h>

#include "cmd/config.h"
#include "test.h"

static void test_defaults(void)
{
    ol_config_t c;
    char *argv[] = {"serve", NULL};
    unsetenv("OLLY_HTTP");
    unsetenv("OLLY_CONFIG");
    CHECK(ol_config_load(&c, 1, argv) == 0);
    CHECK(strcmp(c.otlp_grpc, "127.0.0.1:4317") == 0);
    CHECK(strcmp(c.otlp_http, "127.0.0.1:4318") == 0);
    CHECK(strcmp(c.http, "127.0.0.1:3300") == 0);
    CHECK(c.max_body_bytes == 64u << 20);
    CHECK(strcmp(c.fsync, "interval") == 0);
    ol_config_free(&c);
}

static void test_precedence(void)
{
    char path[] = "/tmp/olly-config-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char *text = "# comment\n\ndata = /from/file\nhttp = \"127.0.0.1:1111\"\nfsync=always\n";
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    setenv("OLLY_HTTP", "127.0.0.1:2222", 1);
    char *argv[] = {"serve", "--config", path, "--fsync=never", "--max-body-bytes", "2048", NULL};
    ol_config_t c;
    CHECK(ol_config_load(&c, 6, argv) == 0);
    CHECK(strcmp(c.data, "/from/file") == 0);     /* file over default */
    CHECK(strcmp(c.http, "127.0.0.1:2222") == 0); /* env over file */
    CHECK(strcmp(c.fsync, "never") == 0);         /* flag over file */
    CHECK(c.max_body_bytes == 2048);
    ol_config_free(&c);
    unsetenv("OLLY_HTTP");
    unlink(path);
}

static void test_errors(void)
{
    ol_config_t c;
    char *bad_flag[] = {"serve", "--no-such-flag", "1", NULL};
    CHECK(ol_config_load(&c, 3, bad_flag) == -1);
    ol_config_free(&c);
    char *bad_num[] = {"serve", "--max-body-bytes", "12x", NULL};
    CHECK(ol_config_load(&c, 3, bad_num) == -1);
    ol_config_free(&c);
    char *missing[] = {"serve", "--data", NULL};
    CHECK(ol_config_load(&c, 2, missing) == -1);
    ol_config_free(&c);
    char *nofile[] = {"serve", "--config", "/nonexistent/olly.conf", NULL};
    CHECK(ol_config_load(&c, 3, nofile) == -1);
    ol_config_free(&c);
}

int main(void)
{
    RUN(test_defaults);
    RUN(test_precedence);
    RUN(test_errors);
    return TEST_REPORT();
}
