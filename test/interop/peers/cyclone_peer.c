/*
 * A Cyclone DDS peer for simbridge's interop tests and benchmark (test code, not shipped).
 *
 *   cyclone_peer pub  <kind> <topic> <count> <durability> [period_ms]   publish <count> samples
 *   cyclone_peer sub  <kind> <topic> <count> <durability> [timeout_s]  print each received sample
 *   cyclone_peer source <topic> <count> [period_us] [gated]             JointStates, stamped (0: flood);
 *                                                                       gated: start on a line on stdin
 *   cyclone_peer sink   <topic> <count> <timeout_s> [skip]              JointState rate and latency
 *                                                                       (of all but the first skip)
 *   cyclone_peer server <service> <count>                               std_srvs/SetBool server
 *   cyclone_peer client <service> <count>                               std_srvs/SetBool client
 *   cyclone_peer action <action> <position> [cancel]                    control_msgs/GripperCommand
 *                                                                       action client (rcl_action's
 *                                                                       services and topics); cancel:
 *                                                                       cancels after the first feedback
 *   cyclone_peer action_server <action>                                 the server side of it, one goal
 *   cyclone_peer nodes  <seconds>                                       ros_discovery_info: announce
 *                                                                       node /cyclone_node, print others'
 *                                                                       (until <seconds> pass or stdin closes)
 *
 * kind: string | joint | image. durability: volatile | transient. Lines on stdout:
 * "matched" once the first peer endpoint matched, one line per sample for sub, "done" at the end.
 * Publishers stay up until stdin closes (so transient-local late joiners can be served).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include "dds/dds.h"
#include "ros_types.h"

static dds_entity_t pp;

static void die(const char *what, dds_return_t rc) {
  fprintf(stderr, "cyclone_peer: %s failed: %s\n", what, dds_strretcode(rc));
  exit(2);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static dds_qos_t *make_qos(int transient, int depth) {
  dds_qos_t *q = dds_create_qos();
  dds_qset_reliability(q, DDS_RELIABILITY_RELIABLE, DDS_MSECS(100));
  dds_qset_durability(q, transient ? DDS_DURABILITY_TRANSIENT_LOCAL : DDS_DURABILITY_VOLATILE);
  dds_qset_history(q, DDS_HISTORY_KEEP_LAST, depth);
  return q;
}

static const dds_topic_descriptor_t *desc_of(const char *kind) {
  if (!strcmp(kind, "string")) return &std_msgs_msg_dds__String__desc;
  if (!strcmp(kind, "joint")) return &sensor_msgs_msg_dds__JointState__desc;
  if (!strcmp(kind, "image")) return &sensor_msgs_msg_dds__Image__desc;
  fprintf(stderr, "cyclone_peer: unknown kind %s\n", kind);
  exit(2);
}

static int is_matched(dds_entity_t e, int is_writer) {
  if (is_writer) {
    dds_publication_matched_status_t st;
    dds_get_publication_matched_status(e, &st);
    return st.current_count > 0;
  }
  dds_subscription_matched_status_t st;
  dds_get_subscription_matched_status(e, &st);
  return st.current_count > 0;
}

static void wait_matched(dds_entity_t e, int is_writer) {
  for (int i = 0; i < 2000; i++) {
    if (is_matched(e, is_writer)) {
      printf("matched\n");
      fflush(stdout);
      return;
    }
    dds_sleepfor(DDS_MSECS(5));
  }
  fprintf(stderr, "cyclone_peer: no match within 10 s\n");
  exit(3);
}

static void wait_stdin_closed(void) {
  char buf[64];
  while (read(0, buf, sizeof buf) > 0) {}
}

static uint32_t fnv1a(const uint8_t *p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 16777619u; }
  return h;
}

static const char *JOINTS[7] = {"panda_joint1", "panda_joint2", "panda_joint3", "panda_joint4",
                                "panda_joint5", "panda_joint6", "panda_joint7"};

static void fill_joint(sensor_msgs_msg_dds__JointState_ *m, int i, double *pos, double *vel, double *eff) {
  double t = now_s();
  memset(m, 0, sizeof *m);
  m->header.stamp.sec = (int32_t)t;
  m->header.stamp.nanosec = (uint32_t)((t - (int32_t)t) * 1e9);
  m->header.frame_id = "base";
  m->name._length = m->name._maximum = 7;
  m->name._buffer = (char **)JOINTS;
  for (int j = 0; j < 7; j++) { pos[j] = i + j * 0.125; vel[j] = -j; eff[j] = 0.5 * j; }
  m->position._length = m->position._maximum = 7; m->position._buffer = pos;
  m->velocity._length = m->velocity._maximum = 7; m->velocity._buffer = vel;
  m->effort._length = m->effort._maximum = 7; m->effort._buffer = eff;
}

static int cmd_pub(const char *kind, const char *topic, int count, int transient, int period_ms) {
  dds_entity_t tp = dds_create_topic(pp, desc_of(kind), topic, NULL, NULL);
  if (tp < 0) die("create_topic", tp);
  /* History as deep as the run: the writer may match before the reader has matched it back
     (discovery is not symmetric), and a keep-last 10 writer would overwrite unacknowledged samples. */
  dds_qos_t *q = make_qos(transient, transient ? 1 : (count > 10 ? count : 10));
  dds_entity_t wr = dds_create_writer(pp, tp, q, NULL);
  if (wr < 0) die("create_writer", wr);
  if (!transient) wait_matched(wr, 1);
  for (int i = 0; i < count; i++) {
    dds_return_t rc;
    if (!strcmp(kind, "string")) {
      char text[64];
      snprintf(text, sizeof text, "hello from cyclone %d", i);
      std_msgs_msg_dds__String_ m = {.data = text};
      rc = dds_write(wr, &m);
    } else if (!strcmp(kind, "joint")) {
      sensor_msgs_msg_dds__JointState_ m;
      double pos[7], vel[7], eff[7];
      fill_joint(&m, i, pos, vel, eff);
      rc = dds_write(wr, &m);
    } else {
      static uint8_t px[640 * 480 * 3];
      for (size_t k = 0; k < sizeof px; k++) px[k] = (uint8_t)(k * 7 + i);
      sensor_msgs_msg_dds__Image_ m;
      memset(&m, 0, sizeof m);
      m.header.frame_id = "camera";
      m.height = 480; m.width = 640; m.encoding = "rgb8"; m.step = 640 * 3;
      m.data._length = m.data._maximum = sizeof px; m.data._buffer = px;
      rc = dds_write(wr, &m);
    }
    if (rc < 0) die("write", rc);
    if (period_ms > 0) dds_sleepfor(DDS_MSECS(period_ms));
  }
  if (!transient) {
    dds_return_t rc = dds_wait_for_acks(wr, DDS_SECS(10));
    if (rc < 0) die("wait_for_acks", rc);
  }
  printf("published\n");
  fflush(stdout);
  wait_stdin_closed();
  return 0;
}

static int cmd_sub(const char *kind, const char *topic, int count, int transient, double timeout_s) {
  dds_entity_t tp = dds_create_topic(pp, desc_of(kind), topic, NULL, NULL);
  if (tp < 0) die("create_topic", tp);
  /* A deep reader history: a burst must not overwrite samples before they are taken. */
  dds_qos_t *q = make_qos(transient, transient ? 1 : 1000);
  dds_entity_t rd = dds_create_reader(pp, tp, q, NULL);
  if (rd < 0) die("create_reader", rd);
  dds_entity_t ws = dds_create_waitset(pp);
  dds_entity_t rc_ = dds_create_readcondition(rd, DDS_ANY_STATE);
  dds_waitset_attach(ws, rc_, rd);
  int got = 0;
  int announced = 0;
  double deadline = now_s() + timeout_s;
  while (got < count && now_s() < deadline) {
    if (!announced) {
      dds_subscription_matched_status_t st;
      dds_get_subscription_matched_status(rd, &st);
      if (st.current_count > 0) { printf("matched\n"); fflush(stdout); announced = 1; }
    }
    dds_waitset_wait(ws, NULL, 0, DDS_MSECS(10));
    void *samples[1] = {NULL};
    dds_sample_info_t info;
    int n;
    while ((n = dds_take(rd, samples, &info, 1, 1)) > 0) {
      if (info.valid_data) {
        got++;
        if (!strcmp(kind, "string")) {
          printf("%s\n", ((std_msgs_msg_dds__String_ *)samples[0])->data);
        } else if (!strcmp(kind, "joint")) {
          sensor_msgs_msg_dds__JointState_ *m = samples[0];
          printf("%s %u %s %.3f %.3f\n", m->header.frame_id, m->name._length,
                 m->name._length ? m->name._buffer[m->name._length - 1] : "-",
                 m->position._length ? m->position._buffer[0] : -1.0,
                 m->position._length ? m->position._buffer[m->position._length - 1] : -1.0);
        } else {
          sensor_msgs_msg_dds__Image_ *m = samples[0];
          printf("%ux%u %s %u %u %08x\n", m->width, m->height, m->encoding, m->step, m->data._length,
                 fnv1a(m->data._buffer, m->data._length));
        }
        fflush(stdout);
      }
      dds_return_loan(rd, samples, n);
      samples[0] = NULL;
    }
  }
  printf("done %d\n", got);
  fflush(stdout);
  return got == count ? 0 : 1;
}

/* Publishes <count> JointStates as fast as the writer takes them, each stamped with the send time. */
static int cmd_source(const char *topic, int count, int period_us, int gated) {
  dds_entity_t tp = dds_create_topic(pp, &sensor_msgs_msg_dds__JointState__desc, topic, NULL, NULL);
  dds_qos_t *q = make_qos(0, 10);
  dds_entity_t wr = dds_create_writer(pp, tp, q, NULL);
  if (wr < 0) die("create_writer", wr);
  wait_matched(wr, 1);
  if (gated) {
    /* Matched here does not mean the reader has matched this writer (discovery is not
       symmetric), and a keep-last writer does not hold a flood for it: wait for "go". */
    char c;
    while (read(0, &c, 1) == 1 && c != '\n') {}
  }
  double t0 = now_s();
  for (int i = 0; i < count; i++) {
    sensor_msgs_msg_dds__JointState_ m;
    double pos[7], vel[7], eff[7];
    fill_joint(&m, i, pos, vel, eff);
    dds_return_t rc = dds_write(wr, &m);
    if (rc < 0) die("write", rc);
    if (period_us > 0) dds_sleepfor(DDS_USECS(period_us));
  }
  dds_wait_for_acks(wr, DDS_SECS(10));
  printf("published %d in %.3f s\n", count, now_s() - t0);
  fflush(stdout);
  wait_stdin_closed();
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Receives up to <count> JointStates; prints "{received, seconds, p50_us, p99_us}" as JSON. */
static int cmd_sink(const char *topic, int count, double timeout_s, int skip) {
  dds_entity_t tp = dds_create_topic(pp, &sensor_msgs_msg_dds__JointState__desc, topic, NULL, NULL);
  /* Room for every sample: a burst must not overrun the reader history while this thread is
     descheduled (the machine may be loaded); losses then mean the protocol lost them. */
  dds_qos_t *q = make_qos(0, count > 1000 ? count : 1000);
  dds_entity_t rd = dds_create_reader(pp, tp, q, NULL);
  if (rd < 0) die("create_reader", rd);
  dds_entity_t ws = dds_create_waitset(pp);
  dds_entity_t rc_ = dds_create_readcondition(rd, DDS_ANY_STATE);
  dds_waitset_attach(ws, rc_, rd);
  wait_matched(rd, 0);
  /* The first `skip` samples are the warm-up: received, not counted in the figures. */
  double *lat = calloc((size_t)count, sizeof(double));
  double *warm = calloc((size_t)(skip > 0 ? skip : 1), sizeof(double));
  int seen = 0, got = 0;
  double first = 0, last = 0, deadline = now_s() + timeout_s;
  void *samples[64];
  dds_sample_info_t infos[64];
  while (seen < count && now_s() < deadline) {
    dds_waitset_wait(ws, NULL, 0, DDS_MSECS(50));
    int n;
    memset(samples, 0, sizeof samples);
    while ((n = dds_take(rd, samples, infos, 64, 64)) > 0) {
      double t = now_s();
      for (int k = 0; k < n; k++) {
        if (!infos[k].valid_data || seen >= count) continue;
        sensor_msgs_msg_dds__JointState_ *m = samples[k];
        double l = t - (m->header.stamp.sec + m->header.stamp.nanosec * 1e-9);
        if (seen++ < skip) {
          warm[seen - 1] = l;
          continue;
        }
        if (got == 0) first = t;
        last = t;
        lat[got++] = l;
      }
      dds_return_loan(rd, samples, n);
      memset(samples, 0, sizeof samples);
    }
  }
  int warmed = seen < skip ? seen : skip;
  qsort(lat, (size_t)got, sizeof(double), cmp_double);
  qsort(warm, (size_t)warmed, sizeof(double), cmp_double);
  double p50 = got ? lat[got / 2] : 0, p99 = got ? lat[(int)(got * 0.99)] : 0;
  double warm_p99 = warmed ? warm[(int)(warmed * 0.99)] : 0;
  printf("{\"received\":%d,\"seconds\":%.6f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"warmup_p99_us\":%.1f}\n", got,
         last - first, p50 * 1e6, p99 * 1e6, warm_p99 * 1e6);
  fflush(stdout);
  return 0;
}

/* std_srvs/SetBool server, rmw_cyclonedds-style: replies carry the request's client id and sequence. */
static int cmd_server(const char *service, int count) {
  char rq[256], rr[256];
  snprintf(rq, sizeof rq, "rq/%sRequest", service);
  snprintf(rr, sizeof rr, "rr/%sReply", service);
  dds_entity_t tq = dds_create_topic(pp, &std_srvs_srv_dds__SetBool_Request__desc, rq, NULL, NULL);
  dds_entity_t tr = dds_create_topic(pp, &std_srvs_srv_dds__SetBool_Response__desc, rr, NULL, NULL);
  dds_qos_t *q = make_qos(0, 10);
  dds_entity_t rd = dds_create_reader(pp, tq, q, NULL);
  dds_entity_t wr = dds_create_writer(pp, tr, q, NULL);
  if (rd < 0 || wr < 0) die("create endpoints", rd < 0 ? rd : wr);
  dds_entity_t ws = dds_create_waitset(pp);
  dds_entity_t rc_ = dds_create_readcondition(rd, DDS_ANY_STATE);
  dds_waitset_attach(ws, rc_, rd);
  wait_matched(wr, 1);
  int served = 0;
  double deadline = now_s() + 20;
  while (served < count && now_s() < deadline) {
    dds_waitset_wait(ws, NULL, 0, DDS_MSECS(10));
    void *samples[1] = {NULL};
    dds_sample_info_t info;
    int n;
    while ((n = dds_take(rd, samples, &info, 1, 1)) > 0) {
      if (info.valid_data) {
        std_srvs_srv_dds__SetBool_Request_ *req = samples[0];
        char text[128];
        snprintf(text, sizeof text, "set to %s (request %lld)", req->data ? "true" : "false",
                 (long long)req->rmw_sequence);
        std_srvs_srv_dds__SetBool_Response_ rep = {
            .rmw_client_id = req->rmw_client_id, .rmw_sequence = req->rmw_sequence, .success = req->data, .message = text};
        dds_write(wr, &rep);
        printf("served %lld\n", (long long)req->rmw_sequence);
        fflush(stdout);
        served++;
      }
      dds_return_loan(rd, samples, n);
      samples[0] = NULL;
    }
  }
  dds_wait_for_acks(wr, DDS_SECS(5));
  printf("done %d\n", served);
  fflush(stdout);
  return served == count ? 0 : 1;
}

/* std_srvs/SetBool client, rmw_cyclonedds-style: requests carry a client id and a sequence number. */
static int cmd_client(const char *service, int count) {
  char rq[256], rr[256];
  snprintf(rq, sizeof rq, "rq/%sRequest", service);
  snprintf(rr, sizeof rr, "rr/%sReply", service);
  dds_entity_t tq = dds_create_topic(pp, &std_srvs_srv_dds__SetBool_Request__desc, rq, NULL, NULL);
  dds_entity_t tr = dds_create_topic(pp, &std_srvs_srv_dds__SetBool_Response__desc, rr, NULL, NULL);
  dds_qos_t *q = make_qos(0, 10);
  dds_entity_t rd = dds_create_reader(pp, tr, q, NULL);
  dds_entity_t wr = dds_create_writer(pp, tq, q, NULL);
  if (rd < 0 || wr < 0) die("create endpoints", rd < 0 ? rd : wr);
  wait_matched(wr, 1);
  for (int i = 0; i < 2000; i++) {
    dds_subscription_matched_status_t st;
    dds_get_subscription_matched_status(rd, &st);
    if (st.current_count > 0) break;
    dds_sleepfor(DDS_MSECS(5));
  }
  const uint64_t client_id = 0x0102030405060708ull;
  int answered = 0;
  for (int i = 0; i < count; i++) {
    std_srvs_srv_dds__SetBool_Request_ req = {.rmw_client_id = client_id, .rmw_sequence = i + 1, .data = i % 2 == 0};
    dds_return_t rc = dds_write(wr, &req);
    if (rc < 0) die("write", rc);
    double deadline = now_s() + 10;
    int got = 0;
    while (!got && now_s() < deadline) {
      void *samples[1] = {NULL};
      dds_sample_info_t info;
      int n;
      dds_sleepfor(DDS_MSECS(2));
      while ((n = dds_take(rd, samples, &info, 1, 1)) > 0) {
        std_srvs_srv_dds__SetBool_Response_ *rep = samples[0];
        if (info.valid_data && rep->rmw_client_id == client_id && rep->rmw_sequence == i + 1) {
          printf("reply %d %s %s\n", i + 1, rep->success ? "true" : "false", rep->message);
          got = 1;
          answered++;
        } else if (info.valid_data) {
          printf("stray reply\n");
        }
        fflush(stdout);
        dds_return_loan(rd, samples, n);
        samples[0] = NULL;
      }
    }
  }
  printf("done %d\n", answered);
  fflush(stdout);
  wait_stdin_closed();
  return answered == count ? 0 : 1;
}

static void print_gid(const uint8_t *g) {
  for (int i = 0; i < 16; i++) printf("%02x", g[i]);
}

/*
 * ros_discovery_info as an rmw does it: announces this participant's node (/cyclone_node, no
 * endpoints), and prints each ParticipantEntitiesInfo it receives:
 * "participant <guid> node <ns> <name> readers <n> writers <m>", one line per node.
 */
static int cmd_nodes(double seconds) {
  dds_entity_t tp = dds_create_topic(pp, &rmw_dds_common_msg_dds__ParticipantEntitiesInfo__desc,
                                     "ros_discovery_info", NULL, NULL);
  if (tp < 0) die("create_topic", tp);
  dds_qos_t *wq = make_qos(1, 1);
  dds_qos_t *rq = make_qos(1, 100);
  dds_entity_t wr = dds_create_writer(pp, tp, wq, NULL);
  dds_entity_t rd = dds_create_reader(pp, tp, rq, NULL);
  if (wr < 0 || rd < 0) die("create endpoints", wr < 0 ? wr : rd);
  dds_guid_t guid;
  dds_get_guid(pp, &guid);
  rmw_dds_common_msg_dds__NodeEntitiesInfo_ node;
  memset(&node, 0, sizeof node);
  node.node_namespace = "/";
  node.node_name = "cyclone_node";
  rmw_dds_common_msg_dds__ParticipantEntitiesInfo_ info;
  memset(&info, 0, sizeof info);
  memcpy(info.gid.data, guid.v, 16);
  info.node_entities_info_seq._length = info.node_entities_info_seq._maximum = 1;
  info.node_entities_info_seq._buffer = &node;
  dds_return_t rc = dds_write(wr, &info);
  if (rc < 0) die("write", rc);
  printf("announced ");
  print_gid(guid.v);
  printf("\n");
  fflush(stdout);
  double deadline = now_s() + seconds;
  while (now_s() < deadline) {
    void *samples[1] = {NULL};
    dds_sample_info_t si;
    int n;
    /* Waits 10 ms for stdin; stops early once it closes (the test is done with us). */
    struct pollfd in = {.fd = 0, .events = POLLIN};
    if (poll(&in, 1, 10) > 0) {
      char buf[64];
      if (read(0, buf, sizeof buf) <= 0) break;
    }
    while ((n = dds_take(rd, samples, &si, 1, 1)) > 0) {
      rmw_dds_common_msg_dds__ParticipantEntitiesInfo_ *m = samples[0];
      if (si.valid_data && memcmp(m->gid.data, guid.v, 16) != 0) {
        for (uint32_t i = 0; i < m->node_entities_info_seq._length; i++) {
          rmw_dds_common_msg_dds__NodeEntitiesInfo_ *nd = &m->node_entities_info_seq._buffer[i];
          printf("participant ");
          print_gid(m->gid.data);
          printf(" node %s %s readers %u writers %u\n", nd->node_namespace, nd->node_name,
                 nd->reader_gid_seq._length, nd->writer_gid_seq._length);
        }
        fflush(stdout);
      }
      dds_return_loan(rd, samples, n);
      samples[0] = NULL;
    }
  }
  printf("done\n");
  fflush(stdout);
  return 0;
}

/* A control_msgs/GripperCommand action client, as rcl_action over rmw_cyclonedds behaves: waits
   until all five of the server's channels have matched (rcl_action_server_is_available), sends a
   goal on <action>/_action/send_goal, then asks <action>/_action/get_result at once (as rclcpp
   does for a goal with a result callback), reading the feedback and (transient-local) status
   topics meanwhile. With `cancel`, it cancels the goal on <action>/_action/cancel_goal after the
   goal's first feedback. Each service client has its own client id and counts its own sequence
   numbers from 1, as each rmw_cyclonedds client does. Prints "accepted", "feedback", "status",
   "cancel" and "result" lines; without `cancel` then "late status" lines (what a status reader
   made after the goal finished gets from the server's history); "done" at the end. */
static const uint8_t GOAL_ID[16] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                    0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
static const uint64_t GOAL_CLIENT = 0x0a0b0c0d0e0f1011ull, CANCEL_CLIENT = 0x1a1b1c1d1e1f2021ull,
                      RESULT_CLIENT = 0x2a2b2c2d2e2f3031ull;

static dds_entity_t action_topic(const dds_topic_descriptor_t *desc, const char *prefix, const char *action,
                                 const char *suffix) {
  char name[256];
  snprintf(name, sizeof name, "%s%s/_action/%s", prefix, action, suffix);
  dds_entity_t tp = dds_create_topic(pp, desc, name, NULL, NULL);
  if (tp < 0) die("create_topic", tp);
  return tp;
}

/* Takes one sample from `rd` within `timeout_s`: 1 with the sample in `out` (loaned), 0 on timeout. */
static int take_one(dds_entity_t rd, void **out, double timeout_s) {
  double deadline = now_s() + timeout_s;
  dds_sample_info_t info;
  while (now_s() < deadline) {
    out[0] = NULL;
    int n = dds_take(rd, out, &info, 1, 1);
    if (n > 0 && info.valid_data) return 1;
    if (n > 0) dds_return_loan(rd, out, n);
    dds_sleepfor(DDS_MSECS(2));
  }
  return 0;
}

static void print_uuid(const uint8_t *u) {
  for (int k = 0; k < 16; k++) printf("%02x", u[k]);
}

/* Prints the feedback for GOAL_ID that has arrived; returns how many. */
static int drain_feedback(dds_entity_t rd) {
  void *fb[1];
  dds_sample_info_t info;
  int n, printed = 0;
  for (fb[0] = NULL; (n = dds_take(rd, fb, &info, 1, 1)) > 0; fb[0] = NULL) {
    control_msgs_action_dds__GripperCommand_FeedbackMessage_ *m = fb[0];
    if (info.valid_data && memcmp(m->goal_id.uuid, GOAL_ID, 16) == 0) {
      printf("feedback %.3f\n", m->feedback.position);
      printed++;
    }
    dds_return_loan(rd, fb, n);
  }
  return printed;
}

static void drain_status(dds_entity_t rd, int *last) {
  void *samples[1];
  dds_sample_info_t info;
  for (;;) {
    samples[0] = NULL;
    int n = dds_take(rd, samples, &info, 1, 1);
    if (n <= 0) return;
    if (info.valid_data) {
      action_msgs_msg_dds__GoalStatusArray_ *a = samples[0];
      for (uint32_t k = 0; k < a->status_list._length; k++) {
        action_msgs_msg_dds__GoalStatus_ *st = &a->status_list._buffer[k];
        if (memcmp(st->goal_info.goal_id.uuid, GOAL_ID, 16) == 0 && st->status != *last) {
          *last = st->status;
          printf("status %d\n", st->status);
        }
      }
    }
    dds_return_loan(rd, samples, n);
  }
}

/* The request id rmw_cyclonedds puts first in every request and reply. */
typedef struct {
  uint64_t rmw_client_id;
  int64_t rmw_sequence;
} rmw_request_id;

/* Takes the reply to request 1 of `client` from `rd` if it has come: the sample, loaned (give it
   back with dds_return_loan(rd, loan, 1)); NULL if it has not. Other samples are dropped. */
static void *take_reply(dds_entity_t rd, uint64_t client, void **loan) {
  dds_sample_info_t info;
  int n;
  for (loan[0] = NULL; (n = dds_take(rd, loan, &info, 1, 1)) > 0; loan[0] = NULL) {
    const rmw_request_id *id = loan[0];
    if (info.valid_data && id->rmw_client_id == client && id->rmw_sequence == 1) return loan[0];
    dds_return_loan(rd, loan, n);
  }
  return NULL;
}

/* Takes the reply to our cancel request if it has come: prints "cancel <return_code> <goal ids...>"
   (the goals now canceling) and returns 1; else 0. */
static int take_cancel_reply(dds_entity_t rd) {
  void *loan[1];
  action_msgs_srv_dds__CancelGoal_Response_ *r = take_reply(rd, CANCEL_CLIENT, loan);
  if (!r) return 0;
  printf("cancel %d", r->return_code);
  for (uint32_t k = 0; k < r->goals_canceling._length; k++) {
    printf(" ");
    print_uuid(r->goals_canceling._buffer[k].goal_id.uuid);
  }
  printf("\n");
  dds_return_loan(rd, loan, 1);
  return 1;
}

/* Takes the reply to our get_result request if it has come (copied to `out`): 1, else 0. */
static int take_result_reply(dds_entity_t rd, control_msgs_action_dds__GripperCommand_GetResult_Response_ *out) {
  void *loan[1];
  control_msgs_action_dds__GripperCommand_GetResult_Response_ *r = take_reply(rd, RESULT_CLIENT, loan);
  if (!r) return 0;
  *out = *r;
  dds_return_loan(rd, loan, 1);
  return 1;
}

/*
 * What a status reader created now gets from the server's transient-local history, one line per
 * sample: "late status <our goal's status>". The reader keeps up to 10, so a server keeping more
 * than rcl_action's keep-last 1 shows as more than one line. A writer sends its history to a new
 * reader in one go; 300 ms after the first sample, anything more would have come. 0 on timeout.
 */
static int late_status(const char *action) {
  dds_qos_t *q = make_qos(1, 10);
  dds_entity_t rd = dds_create_reader(pp, action_topic(&action_msgs_msg_dds__GoalStatusArray__desc, "rt", action, "status"),
                                      q, NULL);
  dds_delete_qos(q);
  if (rd < 0) die("create late status reader", rd);
  int seen = 0;
  double first = 0, deadline = now_s() + 5;
  while (now_s() < deadline && (!seen || now_s() < first + 0.3)) {
    void *samples[1] = {NULL};
    dds_sample_info_t info;
    int n = dds_take(rd, samples, &info, 1, 1);
    if (n <= 0) {
      dds_sleepfor(DDS_MSECS(2));
      continue;
    }
    if (info.valid_data) {
      action_msgs_msg_dds__GoalStatusArray_ *a = samples[0];
      int status = -1;
      for (uint32_t k = 0; k < a->status_list._length; k++)
        if (memcmp(a->status_list._buffer[k].goal_info.goal_id.uuid, GOAL_ID, 16) == 0)
          status = a->status_list._buffer[k].status;
      printf("late status %d\n", status);
      if (!seen++) first = now_s();
    }
    dds_return_loan(rd, samples, n);
  }
  dds_delete(rd);
  return seen > 0;
}

/* The eight DDS endpoints of a GripperCommand action; `server` says which side writes each. */
typedef struct {
  dds_entity_t goal, goal_reply, cancel, cancel_reply, result, result_reply, feedback, status;
} action_endpoints;

static action_endpoints action_open(const char *action, int server) {
  dds_entity_t (*const create[2])(dds_entity_t, dds_entity_t, const dds_qos_t *, const dds_listener_t *) = {
      dds_create_reader, dds_create_writer};
  dds_qos_t *q = make_qos(0, 10);
  /* Status is transient-local keep-last 1 at the server; a client's deeper reader history keeps
     each update until it is read (a busy machine may not read between two of them). */
  dds_qos_t *latched = make_qos(1, server ? 1 : 10);
  action_endpoints e = {
      create[!server](pp, action_topic(&control_msgs_action_dds__GripperCommand_SendGoal_Request__desc, "rq", action,
                                       "send_goalRequest"),
                      q, NULL),
      create[server](pp, action_topic(&control_msgs_action_dds__GripperCommand_SendGoal_Response__desc, "rr", action,
                                      "send_goalReply"),
                     q, NULL),
      create[!server](pp, action_topic(&action_msgs_srv_dds__CancelGoal_Request__desc, "rq", action, "cancel_goalRequest"),
                      q, NULL),
      create[server](pp, action_topic(&action_msgs_srv_dds__CancelGoal_Response__desc, "rr", action, "cancel_goalReply"),
                     q, NULL),
      create[!server](pp, action_topic(&control_msgs_action_dds__GripperCommand_GetResult_Request__desc, "rq", action,
                                       "get_resultRequest"),
                      q, NULL),
      create[server](pp, action_topic(&control_msgs_action_dds__GripperCommand_GetResult_Response__desc, "rr", action,
                                      "get_resultReply"),
                     q, NULL),
      create[server](pp, action_topic(&control_msgs_action_dds__GripperCommand_FeedbackMessage__desc, "rt", action,
                                      "feedback"),
                     q, NULL),
      create[server](pp, action_topic(&action_msgs_msg_dds__GoalStatusArray__desc, "rt", action, "status"), latched,
                     NULL),
  };
  if (e.goal < 0 || e.goal_reply < 0 || e.cancel < 0 || e.cancel_reply < 0 || e.result < 0 || e.result_reply < 0 ||
      e.feedback < 0 || e.status < 0)
    die("create action endpoints", -1);
  return e;
}

static int cmd_action(const char *action, double position, int cancel) {
  action_endpoints e = action_open(action, 0);
  /* As rclcpp's wait_for_action_server: every channel matched before the goal goes out. */
  wait_matched(e.goal, 1);
  for (int i = 0; !(is_matched(e.goal_reply, 0) && is_matched(e.cancel, 1) && is_matched(e.cancel_reply, 0) &&
                    is_matched(e.result, 1) && is_matched(e.result_reply, 0) && is_matched(e.feedback, 0) &&
                    is_matched(e.status, 0));
       i++) {
    if (i == 2000) {
      fprintf(stderr, "cyclone_peer: the action server's channels did not all match within 10 s\n");
      return 3;
    }
    dds_sleepfor(DDS_MSECS(5));
  }
  control_msgs_action_dds__GripperCommand_SendGoal_Request_ goal = {.rmw_client_id = GOAL_CLIENT, .rmw_sequence = 1};
  memcpy(goal.goal_id.uuid, GOAL_ID, 16);
  goal.goal.command.position = position;
  goal.goal.command.max_effort = 40.0;
  dds_return_t rc = dds_write(e.goal, &goal);
  if (rc < 0) die("write goal", rc);
  void *sample[1] = {NULL};
  if (!take_one(e.goal_reply, sample, 10)) {
    fprintf(stderr, "cyclone_peer: no send_goal reply within 10 s\n");
    return 3;
  }
  control_msgs_action_dds__GripperCommand_SendGoal_Response_ *reply = sample[0];
  if (reply->rmw_client_id != GOAL_CLIENT || reply->rmw_sequence != 1) {
    fprintf(stderr, "cyclone_peer: send_goal reply for another request\n");
    return 3;
  }
  int accepted = reply->accepted;
  printf("accepted %s\n", accepted ? "true" : "false");
  dds_return_loan(e.goal_reply, sample, 1);
  if (!accepted) {
    printf("done\n");
    return 0;
  }
  control_msgs_action_dds__GripperCommand_GetResult_Request_ ask = {.rmw_client_id = RESULT_CLIENT, .rmw_sequence = 1};
  memcpy(ask.goal_id.uuid, GOAL_ID, 16);
  rc = dds_write(e.result, &ask);
  if (rc < 0) die("write get_result", rc);
  /* cancel: 0 not asked for, 1 to send after the first feedback, 2 sent, 3 answered. */
  int last_status = -1, feedbacks = 0, cancel_state = cancel ? 1 : 0, got = 0;
  control_msgs_action_dds__GripperCommand_GetResult_Response_ res;
  for (double deadline = now_s() + 10; !got && now_s() < deadline; dds_sleepfor(DDS_MSECS(2))) {
    feedbacks += drain_feedback(e.feedback);
    drain_status(e.status, &last_status);
    if (cancel_state == 1 && feedbacks > 0) {
      /* Goal id given, stamp zero: cancel exactly this goal (action_msgs/srv/CancelGoal). */
      action_msgs_srv_dds__CancelGoal_Request_ req = {.rmw_client_id = CANCEL_CLIENT, .rmw_sequence = 1};
      memcpy(req.goal_info.goal_id.uuid, GOAL_ID, 16);
      rc = dds_write(e.cancel, &req);
      if (rc < 0) die("write cancel_goal", rc);
      cancel_state = 2;
    }
    if (cancel_state == 2 && take_cancel_reply(e.cancel_reply)) cancel_state = 3;
    got = take_result_reply(e.result_reply, &res);
  }
  if (!got) {
    fprintf(stderr, "cyclone_peer: no get_result reply within 10 s (cancel state %d)\n", cancel_state);
    return 3;
  }
  /* The result may overtake the last feedback, status and cancel reply (other topics): read on
     until the terminal status and the cancel reply, which the server sent before it (bounded). */
  for (double until = now_s() + 2; (last_status < 4 || cancel_state == 2) && now_s() < until;
       dds_sleepfor(DDS_MSECS(2))) {
    drain_feedback(e.feedback);
    drain_status(e.status, &last_status);
    if (cancel_state == 2 && take_cancel_reply(e.cancel_reply)) cancel_state = 3;
  }
  drain_feedback(e.feedback);
  if (cancel_state == 2) {
    fprintf(stderr, "cyclone_peer: no cancel_goal reply\n");
    return 3;
  }
  printf("result %d %.3f %s\n", res.status, res.result.position, res.result.reached_goal ? "true" : "false");
  if (!cancel && !late_status(action)) {
    fprintf(stderr, "cyclone_peer: a late status reader got nothing within 5 s\n");
    return 3;
  }
  printf("done\n");
  fflush(stdout);
  wait_stdin_closed();
  return 0;
}

/* A control_msgs/GripperCommand action server, as a ros2_control gripper controller behind
   rmw_cyclonedds serves it (rclcpp_action, ACCEPT_AND_EXECUTE): accepts one goal, publishes
   status EXECUTING, three feedbacks towards the goal, SUCCEEDED, and answers get_result once
   done (holding a request that comes early). Prints "goal <uuid hex> <position>" and "done". */
static void publish_status(dds_entity_t wr, const uint8_t *uuid, int8_t status) {
  action_msgs_msg_dds__GoalStatus_ st;
  memset(&st, 0, sizeof st);
  memcpy(st.goal_info.goal_id.uuid, uuid, 16);
  st.status = status;
  action_msgs_msg_dds__GoalStatusArray_ a = {.status_list = {._length = 1, ._maximum = 1, ._buffer = &st}};
  dds_return_t rc = dds_write(wr, &a);
  if (rc < 0) die("write status", rc);
}

static int cmd_action_server(const char *action) {
  action_endpoints e = action_open(action, 1);
  dds_entity_t goal_rd = e.goal, goal_wr = e.goal_reply, result_rd = e.result, result_wr = e.result_reply,
               fb_wr = e.feedback, status_wr = e.status;
  printf("ready\n");
  fflush(stdout);
  void *sample[1] = {NULL};
  if (!take_one(goal_rd, sample, 15)) {
    fprintf(stderr, "cyclone_peer: no goal within 15 s\n");
    return 3;
  }
  control_msgs_action_dds__GripperCommand_SendGoal_Request_ goal = *(control_msgs_action_dds__GripperCommand_SendGoal_Request_ *)sample[0];
  dds_return_loan(goal_rd, sample, 1);
  char hexid[33];
  for (int k = 0; k < 16; k++) snprintf(hexid + 2 * k, 3, "%02x", goal.goal_id.uuid[k]);
  printf("goal %s %.3f\n", hexid, goal.goal.command.position);
  /* A reply written before this writer has matched the client's reply reader would be lost
     (discovery is not symmetric): wait for the match first. */
  wait_matched(goal_wr, 1);
  wait_matched(result_wr, 1);
  wait_matched(fb_wr, 1);
  control_msgs_action_dds__GripperCommand_SendGoal_Response_ accepted = {
      .rmw_client_id = goal.rmw_client_id, .rmw_sequence = goal.rmw_sequence, .accepted = 1};
  double t = now_s();
  accepted.stamp.sec = (int32_t)t;
  accepted.stamp.nanosec = (uint32_t)((t - (int32_t)t) * 1e9);
  dds_return_t rc = dds_write(goal_wr, &accepted);
  if (rc < 0) die("write send_goal reply", rc);
  publish_status(status_wr, goal.goal_id.uuid, 2);
  const double fractions[3] = {0.25, 0.5, 0.75};
  for (int k = 0; k < 3; k++) {
    control_msgs_action_dds__GripperCommand_FeedbackMessage_ fb;
    memset(&fb, 0, sizeof fb);
    memcpy(fb.goal_id.uuid, goal.goal_id.uuid, 16);
    fb.feedback.position = goal.goal.command.position * fractions[k];
    fb.feedback.effort = 2.0;
    rc = dds_write(fb_wr, &fb);
    if (rc < 0) die("write feedback", rc);
    dds_sleepfor(DDS_MSECS(20));
  }
  publish_status(status_wr, goal.goal_id.uuid, 4);
  if (!take_one(result_rd, sample, 10)) {
    fprintf(stderr, "cyclone_peer: no get_result request within 10 s\n");
    return 3;
  }
  control_msgs_action_dds__GripperCommand_GetResult_Request_ *ask = sample[0];
  control_msgs_action_dds__GripperCommand_GetResult_Response_ res = {
      .rmw_client_id = ask->rmw_client_id, .rmw_sequence = ask->rmw_sequence, .status = 4};
  if (memcmp(ask->goal_id.uuid, goal.goal_id.uuid, 16) != 0) res.status = 0; /* STATUS_UNKNOWN */
  dds_return_loan(result_rd, sample, 1);
  res.result.position = goal.goal.command.position;
  res.result.effort = 2.0;
  res.result.reached_goal = 1;
  rc = dds_write(result_wr, &res);
  if (rc < 0) die("write get_result reply", rc);
  printf("done\n");
  fflush(stdout);
  wait_stdin_closed();
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) { fprintf(stderr, "usage: see the comment at the top of cyclone_peer.c\n"); return 2; }
  pp = dds_create_participant(DDS_DOMAIN_DEFAULT, NULL, NULL);
  if (pp < 0) die("create_participant", pp);
  int rc = 2;
  const char *cmd = argv[1];
  if (!strcmp(cmd, "pub") && argc >= 6)
    rc = cmd_pub(argv[2], argv[3], atoi(argv[4]), !strcmp(argv[5], "transient"), argc > 6 ? atoi(argv[6]) : 0);
  else if (!strcmp(cmd, "sub") && argc >= 6)
    rc = cmd_sub(argv[2], argv[3], atoi(argv[4]), !strcmp(argv[5], "transient"), argc > 6 ? atof(argv[6]) : 20);
  else if (!strcmp(cmd, "source") && argc >= 4)
    rc = cmd_source(argv[2], atoi(argv[3]), argc > 4 ? atoi(argv[4]) : 0, argc > 5 && !strcmp(argv[5], "gated"));
  else if (!strcmp(cmd, "sink") && argc >= 5)
    rc = cmd_sink(argv[2], atoi(argv[3]), atof(argv[4]), argc > 5 ? atoi(argv[5]) : 0);
  else if (!strcmp(cmd, "server") && argc >= 4)
    rc = cmd_server(argv[2], atoi(argv[3]));
  else if (!strcmp(cmd, "client") && argc >= 4)
    rc = cmd_client(argv[2], atoi(argv[3]));
  else if (!strcmp(cmd, "action") && argc >= 4)
    rc = cmd_action(argv[2], atof(argv[3]), argc > 4 && !strcmp(argv[4], "cancel"));
  else if (!strcmp(cmd, "action_server") && argc >= 3)
    rc = cmd_action_server(argv[2]);
  else if (!strcmp(cmd, "nodes") && argc >= 3)
    rc = cmd_nodes(atof(argv[2]));
  else
    fprintf(stderr, "cyclone_peer: bad arguments\n");
  dds_delete(pp);
  return rc;
}
