/* What the in-process benchmarks share: the Secret they seal, a CPU clock, a sort order. */
#ifndef SK_BENCH_H
#define SK_BENCH_H

#include <time.h>

/* The reference deployment's ml-platform Secret, with example values only. */
static const char bench_secret_yaml[] =
    "apiVersion: v1\nkind: Secret\nmetadata: {name: ml-platform, namespace: seldon-system}\n"
    "type: Opaque\nstringData:\n"
    "  AWS_ACCESS_KEY_ID: EXAMPLE-ACCESS-KEY-ID\n  AWS_SECRET_ACCESS_KEY: example-secret\n"
    "  AWS_DEFAULT_REGION: us-east-1\n  AWS_ENDPOINT_URL: http://minio.minio.svc:9000\n"
    "  MLFLOW_TRACKING_URI: http://mlflow.mlflow.svc:5000\n  MLFLOW_TRACKING_USERNAME: user\n"
    "  MLFLOW_TRACKING_PASSWORD: example-password\n  MLFLOW_S3_ENDPOINT_URL: http://minio:9000\n"
    "  MLFLOW_FLASK_SERVER_SECRET_KEY: example-flask\n  RCLONE_CONFIG_S3_TYPE: s3\n"
    "  RCLONE_CONFIG_S3_PROVIDER: Minio\n  RCLONE_CONFIG_S3_ACCESS_KEY_ID: EXAMPLE\n"
    "  RCLONE_CONFIG_S3_SECRET_ACCESS_KEY: example-secret\n  RCLONE_CONFIG_S3_REGION: us-east-1\n"
    "  RCLONE_CONFIG_S3_ENDPOINT: http://minio:9000\n";

/* CPU seconds of this process: time another process or the hypervisor takes is not counted. */
static inline double bench_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int bench_by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#endif
