/*
 * A Fast DDS 2.9 peer for simbridge's interop tests (test code, not shipped). Debian has no
 * fastddsgen, so the ROS 2 types are TopicDataTypes written by hand with Fast CDR, laid out as
 * rmw_fastrtps puts them on the wire (type names `<pkg>::msg::dds_::<Type>_`, plain CDR).
 *
 *   fastdds_peer pub    <kind> <topic> <count> <durability>   publish <count> samples
 *   fastdds_peer sub    <kind> <topic> <count> <durability>   print each received sample
 *   fastdds_peer server <service> <count>                     std_srvs/SetBool server, rmw_fastrtps style
 *   fastdds_peer client <service> <count>                     std_srvs/SetBool client, rmw_fastrtps style
 *   fastdds_peer action_server <action>                       control_msgs/GripperCommand action server
 *                                                             (rcl_action's services and topics), one goal
 *   fastdds_peer action <action> <position> [cancel]          the client side: one goal, its feedback,
 *                                                             status and result, then a late status reader;
 *                                                             with `cancel`, cancels it after one feedback
 *
 * kind: string | joint | image. durability: volatile | transient. Same output lines as
 * cyclone_peer: "matched", one line per sample, "published"/"done" at the end. Publishers stay up
 * until stdin closes (so transient-local late joiners can be served).
 *
 * Services as rmw_fastrtps maps them: requests and replies carry only the SetBool fields; a
 * reply names the request it answers by the request's sample identity (writer GUID + sequence
 * number), sent as inline QoS PID_RELATED_SAMPLE_IDENTITY (0x800f); a request names the
 * client's reply reader the same way.
 */
#include <fastcdr/Cdr.h>
#include <fastcdr/FastBuffer.h>
#include <fastdds/dds/domain/DomainParticipant.hpp>
#include <fastdds/dds/domain/DomainParticipantFactory.hpp>
#include <fastdds/dds/publisher/DataWriter.hpp>
#include <fastdds/dds/publisher/Publisher.hpp>
#include <fastdds/dds/subscriber/DataReader.hpp>
#include <fastdds/dds/subscriber/SampleInfo.hpp>
#include <fastdds/dds/subscriber/Subscriber.hpp>
#include <fastdds/dds/topic/TopicDataType.hpp>
#include <fastdds/dds/topic/TypeSupport.hpp>
#include <fastdds/rtps/common/WriteParams.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace eprosima::fastdds::dds;
using eprosima::fastcdr::Cdr;
using eprosima::fastcdr::FastBuffer;
using eprosima::fastrtps::rtps::SerializedPayload_t;
using eprosima::fastrtps::rtps::WriteParams;

enum class Kind {
  String,
  Joint,
  Image,
  SetBoolRequest,
  SetBoolResponse,
  // control_msgs/action/GripperCommand as rcl_action maps it (rmw_fastrtps: no request header).
  SendGoalRequest,
  SendGoalResponse,
  GetResultRequest,
  GetResultResponse,
  Feedback,
  StatusArray,
  // action_msgs/srv/CancelGoal, every action's cancel_goal service.
  CancelRequest,
  CancelResponse,
};

/* action_msgs/GoalStatus: goal id, stamp, status code (a GoalInfo alone without the code). */
struct GoalStatusEntry {
  std::array<uint8_t, 16> uuid{};
  int32_t sec = 0;
  uint32_t nanosec = 0;
  int8_t status = 0;
};

/* Every field of every type this peer speaks; each kind uses its own. */
struct Sample {
  std::string text;  // String.data, Header.frame_id, Response.message
  int32_t sec = 0;
  uint32_t nanosec = 0;
  std::vector<std::string> names;
  std::vector<double> position, velocity, effort;
  uint32_t height = 0, width = 0, step = 0;
  std::string encoding;
  uint8_t is_bigendian = 0;
  std::vector<uint8_t> data;
  bool flag = false;  // Request.data, Response.success, SendGoal accepted, reached_goal
  std::array<uint8_t, 16> uuid{};  // goal id
  double a = 0, b = 0;             // command position and max_effort; result/feedback position and effort
  bool stalled = false;
  int8_t status = 0;                        // GetResult status, CancelGoal return_code
  std::vector<GoalStatusEntry> status_list;  // GoalStatusArray; CancelGoal goals_canceling (GoalInfo)
};

class RosType : public TopicDataType {
 public:
  explicit RosType(Kind kind) : kind_(kind) {
    static const char *names[] = {"std_msgs::msg::dds_::String_",
                                  "sensor_msgs::msg::dds_::JointState_",
                                  "sensor_msgs::msg::dds_::Image_",
                                  "std_srvs::srv::dds_::SetBool_Request_",
                                  "std_srvs::srv::dds_::SetBool_Response_",
                                  "control_msgs::action::dds_::GripperCommand_SendGoal_Request_",
                                  "control_msgs::action::dds_::GripperCommand_SendGoal_Response_",
                                  "control_msgs::action::dds_::GripperCommand_GetResult_Request_",
                                  "control_msgs::action::dds_::GripperCommand_GetResult_Response_",
                                  "control_msgs::action::dds_::GripperCommand_FeedbackMessage_",
                                  "action_msgs::msg::dds_::GoalStatusArray_",
                                  "action_msgs::srv::dds_::CancelGoal_Request_",
                                  "action_msgs::srv::dds_::CancelGoal_Response_"};
    setName(names[static_cast<int>(kind)]);
    m_typeSize = kind == Kind::Image ? 1024 * 1024 + 1024 : 4096;
    m_isGetKeyDefined = false;
    auto_fill_type_object(false);
    auto_fill_type_information(false);
  }

  bool serialize(void *data, SerializedPayload_t *payload) override {
    const Sample &s = *static_cast<Sample *>(data);
    FastBuffer fb(reinterpret_cast<char *>(payload->data), payload->max_size);
    Cdr ser(fb, Cdr::LITTLE_ENDIANNESS, Cdr::DDS_CDR);
    payload->encapsulation = CDR_LE;
    try {
      ser.serialize_encapsulation();
      switch (kind_) {
        case Kind::String:
          ser << s.text;
          break;
        case Kind::Joint:
          ser << s.sec << s.nanosec << s.text << s.names << s.position << s.velocity << s.effort;
          break;
        case Kind::Image:
          ser << s.sec << s.nanosec << s.text << s.height << s.width << s.encoding << s.is_bigendian << s.step
              << s.data;
          break;
        case Kind::SetBoolRequest:
          ser << s.flag;
          break;
        case Kind::SetBoolResponse:
          ser << s.flag << s.text;
          break;
        case Kind::SendGoalRequest:
          ser.serializeArray(s.uuid.data(), 16);
          ser << s.a << s.b;
          break;
        case Kind::SendGoalResponse:
          ser << s.flag << s.sec << s.nanosec;
          break;
        case Kind::GetResultRequest:
          ser.serializeArray(s.uuid.data(), 16);
          break;
        case Kind::GetResultResponse:
          ser << s.status << s.a << s.b << s.stalled << s.flag;
          break;
        case Kind::Feedback:
          ser.serializeArray(s.uuid.data(), 16);
          ser << s.a << s.b << s.stalled << s.flag;
          break;
        case Kind::StatusArray:
          ser << static_cast<uint32_t>(s.status_list.size());
          for (const auto &g : s.status_list) {
            ser.serializeArray(g.uuid.data(), 16);
            ser << g.sec << g.nanosec << g.status;
          }
          break;
        case Kind::CancelRequest:
          ser.serializeArray(s.uuid.data(), 16);
          ser << s.sec << s.nanosec;
          break;
        case Kind::CancelResponse:
          ser << s.status << static_cast<uint32_t>(s.status_list.size());
          for (const auto &g : s.status_list) {
            ser.serializeArray(g.uuid.data(), 16);
            ser << g.sec << g.nanosec;
          }
          break;
      }
    } catch (...) {
      return false;
    }
    payload->length = static_cast<uint32_t>(ser.getSerializedDataLength());
    return true;
  }

  bool deserialize(SerializedPayload_t *payload, void *data) override {
    Sample &s = *static_cast<Sample *>(data);
    FastBuffer fb(reinterpret_cast<char *>(payload->data), payload->length);
    Cdr des(fb, Cdr::DEFAULT_ENDIAN, Cdr::DDS_CDR);
    try {
      des.read_encapsulation();
      switch (kind_) {
        case Kind::String:
          des >> s.text;
          break;
        case Kind::Joint:
          des >> s.sec >> s.nanosec >> s.text >> s.names >> s.position >> s.velocity >> s.effort;
          break;
        case Kind::Image:
          des >> s.sec >> s.nanosec >> s.text >> s.height >> s.width >> s.encoding >> s.is_bigendian >> s.step >>
              s.data;
          break;
        case Kind::SetBoolRequest:
          des >> s.flag;
          break;
        case Kind::SetBoolResponse:
          des >> s.flag >> s.text;
          break;
        case Kind::SendGoalRequest:
          des.deserializeArray(s.uuid.data(), 16);
          des >> s.a >> s.b;
          break;
        case Kind::SendGoalResponse:
          des >> s.flag >> s.sec >> s.nanosec;
          break;
        case Kind::GetResultRequest:
          des.deserializeArray(s.uuid.data(), 16);
          break;
        case Kind::GetResultResponse:
          des >> s.status >> s.a >> s.b >> s.stalled >> s.flag;
          break;
        case Kind::Feedback:
          des.deserializeArray(s.uuid.data(), 16);
          des >> s.a >> s.b >> s.stalled >> s.flag;
          break;
        case Kind::StatusArray:
        case Kind::CancelResponse: {
          const bool cancel = kind_ == Kind::CancelResponse;
          if (cancel) des >> s.status;
          uint32_t n = 0;
          des >> n;
          if (n > 1000) return false;
          s.status_list.resize(n);
          for (auto &g : s.status_list) {
            des.deserializeArray(g.uuid.data(), 16);
            des >> g.sec >> g.nanosec;
            if (!cancel) des >> g.status;
          }
          break;
        }
        case Kind::CancelRequest:
          des.deserializeArray(s.uuid.data(), 16);
          des >> s.sec >> s.nanosec;
          break;
      }
    } catch (...) {
      return false;
    }
    return true;
  }

  std::function<uint32_t()> getSerializedSizeProvider(void *data) override {
    const Sample &s = *static_cast<Sample *>(data);
    return [&s]() -> uint32_t {
      // An upper bound: encapsulation, every string and sequence with its length and padding.
      size_t n = 4 + 64 + s.text.size() + s.encoding.size() + s.data.size() +
                 8 * (s.position.size() + s.velocity.size() + s.effort.size()) + 32 + 64 + 32 * s.status_list.size();
      for (const auto &name : s.names) n += 8 + name.size();
      return static_cast<uint32_t>(n);
    };
  }

  void *createData() override { return new Sample(); }
  void deleteData(void *data) override { delete static_cast<Sample *>(data); }
  bool getKey(void *, eprosima::fastrtps::rtps::InstanceHandle_t *, bool) override { return false; }

 private:
  Kind kind_;
};

static DomainParticipant *pp;

static Kind kind_of(const char *kind) {
  if (!strcmp(kind, "string")) return Kind::String;
  if (!strcmp(kind, "joint")) return Kind::Joint;
  if (!strcmp(kind, "image")) return Kind::Image;
  fprintf(stderr, "fastdds_peer: unknown kind %s\n", kind);
  exit(2);
}

static Topic *topic_of(Kind kind, const std::string &name) {
  TypeSupport ts(new RosType(kind));
  if (ts.register_type(pp) != ReturnCode_t::RETCODE_OK) {
    fprintf(stderr, "fastdds_peer: register_type failed\n");
    exit(2);
  }
  Topic *t = pp->create_topic(name, ts.get_type_name(), TOPIC_QOS_DEFAULT);
  if (!t) {
    fprintf(stderr, "fastdds_peer: create_topic %s failed\n", name.c_str());
    exit(2);
  }
  return t;
}

static DataWriterQos writer_qos(bool transient, int depth, bool large = false) {
  DataWriterQos q = DATAWRITER_QOS_DEFAULT;
  q.reliability().kind = RELIABLE_RELIABILITY_QOS;
  q.durability().kind = transient ? TRANSIENT_LOCAL_DURABILITY_QOS : VOLATILE_DURABILITY_QOS;
  q.history().kind = KEEP_LAST_HISTORY_QOS;
  q.history().depth = depth;
  // Synchronous, as rmw_fastrtps publishes by default: a write goes out at once, so a burst of
  // more than `depth` samples is not overwritten in the history before it is sent. Fragmented
  // samples (the Image) take the asynchronous flow.
  q.publish_mode().kind = large ? ASYNCHRONOUS_PUBLISH_MODE : SYNCHRONOUS_PUBLISH_MODE;
  q.endpoint().history_memory_policy = eprosima::fastrtps::rtps::DYNAMIC_RESERVE_MEMORY_MODE;
  q.data_sharing().off();
  return q;
}

static DataReaderQos reader_qos(bool transient, int depth) {
  DataReaderQos q = DATAREADER_QOS_DEFAULT;
  q.reliability().kind = RELIABLE_RELIABILITY_QOS;
  q.durability().kind = transient ? TRANSIENT_LOCAL_DURABILITY_QOS : VOLATILE_DURABILITY_QOS;
  q.history().kind = KEEP_LAST_HISTORY_QOS;
  q.history().depth = depth;
  q.endpoint().history_memory_policy = eprosima::fastrtps::rtps::DYNAMIC_RESERVE_MEMORY_MODE;
  q.data_sharing().off();
  return q;
}

static bool writer_matched(DataWriter *w) {
  PublicationMatchedStatus st;
  w->get_publication_matched_status(st);
  return st.current_count > 0;
}

static bool reader_matched(DataReader *r) {
  SubscriptionMatchedStatus st;
  r->get_subscription_matched_status(st);
  return st.current_count > 0;
}

static void say(const char *line) {
  printf("%s\n", line);
  fflush(stdout);
}

static void wait_writer_matched(DataWriter *w) {
  for (int i = 0; i < 2000 && !writer_matched(w); i++) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (!writer_matched(w)) {
    fprintf(stderr, "fastdds_peer: no match within 10 s\n");
    exit(3);
  }
  say("matched");
}

static void wait_stdin_closed() {
  char buf[64];
  while (read(0, buf, sizeof buf) > 0) {
  }
}

static uint32_t fnv1a(const uint8_t *p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 16777619u;
  }
  return h;
}

static Sample make_sample(Kind kind, int i) {
  Sample s;
  if (kind == Kind::String) {
    s.text = "hello from fastdds " + std::to_string(i);
  } else if (kind == Kind::Joint) {
    s.sec = 1;
    s.nanosec = 2;
    s.text = "base";
    for (int j = 0; j < 7; j++) {
      s.names.push_back("panda_joint" + std::to_string(j + 1));
      s.position.push_back(i + j * 0.125);
      s.velocity.push_back(-j);
      s.effort.push_back(0.5 * j);
    }
  } else {
    s.text = "camera";
    s.height = 480;
    s.width = 640;
    s.encoding = "rgb8";
    s.step = 640 * 3;
    s.data.resize(640 * 480 * 3);
    for (size_t k = 0; k < s.data.size(); k++) s.data[k] = static_cast<uint8_t>(k * 7 + i);
  }
  return s;
}

static void print_sample(Kind kind, const Sample &s) {
  if (kind == Kind::String) {
    printf("%s\n", s.text.c_str());
  } else if (kind == Kind::Joint) {
    printf("%s %zu %s %.3f %.3f\n", s.text.c_str(), s.names.size(), s.names.empty() ? "-" : s.names.back().c_str(),
           s.position.empty() ? -1.0 : s.position.front(), s.position.empty() ? -1.0 : s.position.back());
  } else {
    printf("%ux%u %s %u %zu %08x\n", s.width, s.height, s.encoding.c_str(), s.step, s.data.size(),
           fnv1a(s.data.data(), s.data.size()));
  }
  fflush(stdout);
}

static int cmd_pub(Kind kind, const char *topic, int count, bool transient) {
  Topic *t = topic_of(kind, topic);
  Publisher *pub = pp->create_publisher(PUBLISHER_QOS_DEFAULT);
  // Deep enough for the whole run: this writer matching the test's reader does not mean the
  // test's reader has matched it yet, and a keep-last 10 Fast DDS writer drops unacknowledged
  // samples past its depth (Cyclone's keeps them), so a race of discovery would lose samples.
  DataWriter *w =
      pub->create_datawriter(t, writer_qos(transient, transient ? 1 : std::max(10, count), kind == Kind::Image));
  if (!w) {
    fprintf(stderr, "fastdds_peer: create_datawriter failed\n");
    return 2;
  }
  if (!transient) wait_writer_matched(w);
  for (int i = 0; i < count; i++) {
    Sample s = make_sample(kind, i);
    if (!w->write(&s)) {
      fprintf(stderr, "fastdds_peer: write %d failed\n", i);
      return 2;
    }
  }
  if (!transient && w->wait_for_acknowledgments(eprosima::fastrtps::Duration_t(10, 0)) != ReturnCode_t::RETCODE_OK) {
    fprintf(stderr, "fastdds_peer: not acknowledged within 10 s\n");
    return 2;
  }
  say("published");
  wait_stdin_closed();
  return 0;
}

static int cmd_sub(Kind kind, const char *topic, int count, bool transient) {
  Topic *t = topic_of(kind, topic);
  Subscriber *sub = pp->create_subscriber(SUBSCRIBER_QOS_DEFAULT);
  DataReader *r = sub->create_datareader(t, reader_qos(transient, transient ? 1 : 1000));
  if (!r) {
    fprintf(stderr, "fastdds_peer: create_datareader failed\n");
    return 2;
  }
  int got = 0;
  bool announced = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (got < count && std::chrono::steady_clock::now() < deadline) {
    if (!announced && reader_matched(r)) {
      say("matched");
      announced = true;
    }
    r->wait_for_unread_message(eprosima::fastrtps::Duration_t(0, 10'000'000));
    Sample s;
    SampleInfo info;
    while (r->take_next_sample(&s, &info) == ReturnCode_t::RETCODE_OK) {
      if (!info.valid_data) continue;
      got++;
      print_sample(kind, s);
    }
  }
  printf("done %d\n", got);
  fflush(stdout);
  return got == count ? 0 : 1;
}

static std::string guid_text(const eprosima::fastrtps::rtps::GUID_t &g) {
  char out[40];
  char *p = out;
  for (auto b : g.guidPrefix.value) p += snprintf(p, 3, "%02x", b);
  for (auto b : g.entityId.value) p += snprintf(p, 3, "%02x", b);
  return out;
}

/* std_srvs/SetBool server as rmw_fastrtps writes one: the reply carries the request's identity. */
static int cmd_server(const char *service, int count) {
  Topic *tq = topic_of(Kind::SetBoolRequest, std::string("rq/") + service + "Request");
  Topic *tr = topic_of(Kind::SetBoolResponse, std::string("rr/") + service + "Reply");
  DataReader *r = pp->create_subscriber(SUBSCRIBER_QOS_DEFAULT)->create_datareader(tq, reader_qos(false, 10));
  DataWriter *w = pp->create_publisher(PUBLISHER_QOS_DEFAULT)->create_datawriter(tr, writer_qos(false, 10));
  if (!r || !w) return 2;
  wait_writer_matched(w);
  int served = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (served < count && std::chrono::steady_clock::now() < deadline) {
    r->wait_for_unread_message(eprosima::fastrtps::Duration_t(0, 10'000'000));
    Sample req;
    SampleInfo info;
    while (r->take_next_sample(&req, &info) == ReturnCode_t::RETCODE_OK) {
      if (!info.valid_data) continue;
      int64_t seq = info.sample_identity.sequence_number().to64long();
      Sample rep;
      rep.flag = req.flag;
      rep.text = std::string("set to ") + (req.flag ? "true" : "false") + " (request " + std::to_string(seq) + ")";
      WriteParams wp;
      wp.related_sample_identity(info.sample_identity);
      w->write(&rep, wp);
      printf("served %lld reply-to %s\n", static_cast<long long>(seq),
             guid_text(info.related_sample_identity.writer_guid()).c_str());
      fflush(stdout);
      served++;
    }
  }
  w->wait_for_acknowledgments(eprosima::fastrtps::Duration_t(5, 0));
  printf("done %d\n", served);
  fflush(stdout);
  return served == count ? 0 : 1;
}

/* std_srvs/SetBool client as rmw_fastrtps writes one: the request names the client's reply reader. */
static int cmd_client(const char *service, int count) {
  Topic *tq = topic_of(Kind::SetBoolRequest, std::string("rq/") + service + "Request");
  Topic *tr = topic_of(Kind::SetBoolResponse, std::string("rr/") + service + "Reply");
  DataReader *r = pp->create_subscriber(SUBSCRIBER_QOS_DEFAULT)->create_datareader(tr, reader_qos(false, 10));
  DataWriter *w = pp->create_publisher(PUBLISHER_QOS_DEFAULT)->create_datawriter(tq, writer_qos(false, 10));
  if (!r || !w) return 2;
  wait_writer_matched(w);
  for (int i = 0; i < 2000 && !reader_matched(r); i++) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  int answered = 0;
  for (int i = 0; i < count; i++) {
    Sample req;
    req.flag = i % 2 == 0;
    WriteParams wp;
    wp.related_sample_identity().writer_guid() = r->guid();
    if (!w->write(&req, wp)) return 2;
    auto sent = wp.sample_identity();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    bool got = false;
    while (!got && std::chrono::steady_clock::now() < deadline) {
      r->wait_for_unread_message(eprosima::fastrtps::Duration_t(0, 10'000'000));
      Sample rep;
      SampleInfo info;
      while (r->take_next_sample(&rep, &info) == ReturnCode_t::RETCODE_OK) {
        if (!info.valid_data) continue;
        if (info.related_sample_identity != sent) {
          printf("stray reply\n");
          continue;
        }
        printf("reply %lld %s %s\n", static_cast<long long>(sent.sequence_number().to64long()),
               rep.flag ? "true" : "false", rep.text.c_str());
        fflush(stdout);
        got = true;
        answered++;
      }
    }
  }
  printf("done %d\n", answered);
  fflush(stdout);
  wait_stdin_closed();
  return answered == count ? 0 : 1;
}

static void stamp_now(int32_t &sec, uint32_t &nanosec) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
  sec = static_cast<int32_t>(ns / 1'000'000'000);
  nanosec = static_cast<uint32_t>(ns % 1'000'000'000);
}

/* A goal id as 32 hex digits. */
static std::string uuid_text(const std::array<uint8_t, 16> &u) {
  char out[33];
  for (int k = 0; k < 16; k++) snprintf(out + 2 * k, 3, "%02x", u[k]);
  return out;
}

/* Waits up to `seconds` for one valid sample. */
static bool take_one(DataReader *r, Sample &s, SampleInfo &info, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    r->wait_for_unread_message(eprosima::fastrtps::Duration_t(0, 10'000'000));
    while (r->take_next_sample(&s, &info) == ReturnCode_t::RETCODE_OK)
      if (info.valid_data) return true;
  }
  return false;
}

/*
 * One side of an action's channels, with rcl_action's names and QoS: the server reads requests
 * (rq/...Request) and writes replies (rr/...Reply), feedback and status; the client the other way
 * round. What that side does not have stays null.
 */
struct ActionEndpoints {
  Subscriber *sub = nullptr;
  DataReader *goal_rd = nullptr, *cancel_rd = nullptr, *result_rd = nullptr, *fb_rd = nullptr, *status_rd = nullptr;
  DataWriter *goal_wr = nullptr, *cancel_wr = nullptr, *result_wr = nullptr, *fb_wr = nullptr, *status_wr = nullptr;
  Topic *status_topic = nullptr;
  bool server = false;

  bool ok() const {
    return goal_rd && goal_wr && cancel_rd && cancel_wr && result_rd && result_wr &&
           (server ? fb_wr && status_wr : fb_rd && status_rd);
  }
};

static ActionEndpoints open_action(const char *action, bool server) {
  const std::string a(action);
  ActionEndpoints e;
  e.server = server;
  e.sub = pp->create_subscriber(SUBSCRIBER_QOS_DEFAULT);
  Publisher *pub = pp->create_publisher(PUBLISHER_QOS_DEFAULT);
  auto service = [&](const std::string &name, Kind request, Kind reply, DataReader *&rd, DataWriter *&wr) {
    Topic *rq = topic_of(request, "rq" + a + "/_action/" + name + "Request");
    Topic *rr = topic_of(reply, "rr" + a + "/_action/" + name + "Reply");
    rd = e.sub->create_datareader(server ? rq : rr, reader_qos(false, 10));
    wr = pub->create_datawriter(server ? rr : rq, writer_qos(false, 10));
  };
  service("send_goal", Kind::SendGoalRequest, Kind::SendGoalResponse, e.goal_rd, e.goal_wr);
  service("cancel_goal", Kind::CancelRequest, Kind::CancelResponse, e.cancel_rd, e.cancel_wr);
  service("get_result", Kind::GetResultRequest, Kind::GetResultResponse, e.result_rd, e.result_wr);
  Topic *feedback = topic_of(Kind::Feedback, "rt" + a + "/_action/feedback");
  e.status_topic = topic_of(Kind::StatusArray, "rt" + a + "/_action/status");
  if (server) {
    e.fb_wr = pub->create_datawriter(feedback, writer_qos(false, 10));
    e.status_wr = pub->create_datawriter(e.status_topic, writer_qos(true, 1));  // transient local, keep last 1
  } else {
    e.fb_rd = e.sub->create_datareader(feedback, reader_qos(false, 100));
    e.status_rd = e.sub->create_datareader(e.status_topic, reader_qos(true, 10));
  }
  return e;
}

/*
 * control_msgs/GripperCommand action server, as rclcpp's on rmw_fastrtps: the send_goal,
 * cancel_goal and get_result services (replies name their request by its sample identity),
 * feedback, and the transient-local keep-last 1 status topic. Serves one goal: accepts it,
 * publishes EXECUTING, three feedbacks, SUCCEEDED, and answers get_result with the goal's position
 * (cancel_goal is there for clients to find, as cyclone_peer's; it answers no cancel).
 */
static int cmd_action_server(const char *action) {
  ActionEndpoints e = open_action(action, true);
  if (!e.ok()) return 2;
  say("ready");
  Sample goal;
  SampleInfo goal_info;
  if (!take_one(e.goal_rd, goal, goal_info, 15)) {
    fprintf(stderr, "fastdds_peer: no goal within 15 s\n");
    return 3;
  }
  printf("goal %s %.3f\n", uuid_text(goal.uuid).c_str(), goal.a);
  fflush(stdout);
  // A reply written before this writer has matched the client's reply reader would be lost
  // (discovery is not symmetric): wait for the match first.
  for (DataWriter *w : {e.goal_wr, e.result_wr, e.fb_wr})
    for (int i = 0; i < 2000 && !writer_matched(w); i++) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  Sample accepted;
  accepted.flag = true;
  stamp_now(accepted.sec, accepted.nanosec);
  WriteParams wp;
  wp.related_sample_identity(goal_info.sample_identity);
  if (!e.goal_wr->write(&accepted, wp)) return 2;
  auto publish_status = [&](int8_t code) {
    Sample st;
    GoalStatusEntry g;
    g.uuid = goal.uuid;
    g.sec = accepted.sec;
    g.nanosec = accepted.nanosec;
    g.status = code;
    st.status_list.push_back(g);
    e.status_wr->write(&st);
  };
  publish_status(2);  // EXECUTING
  const double fractions[3] = {0.25, 0.5, 0.75};
  for (double f : fractions) {
    Sample fb;
    fb.uuid = goal.uuid;
    fb.a = goal.a * f;
    fb.b = 2.0;
    e.fb_wr->write(&fb);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  publish_status(4);  // SUCCEEDED
  Sample ask;
  SampleInfo ask_info;
  if (!take_one(e.result_rd, ask, ask_info, 10)) {
    fprintf(stderr, "fastdds_peer: no get_result request within 10 s\n");
    return 3;
  }
  Sample res;
  res.status = ask.uuid == goal.uuid ? 4 : 0;  // SUCCEEDED, or STATUS_UNKNOWN for another goal
  res.a = goal.a;
  res.b = 2.0;
  res.flag = true;
  WriteParams rp;
  rp.related_sample_identity(ask_info.sample_identity);
  if (!e.result_wr->write(&res, rp)) return 2;
  // No wait_for_acknowledgments: the client acknowledges at the writer's next heartbeat, 3 s away
  // (Fast DDS's default period), and the participant stays up, resending, until stdin closes.
  say("done");
  wait_stdin_closed();
  return 0;
}

static const std::array<uint8_t, 16> GOAL_ID = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                                 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};

/*
 * Prints our goal's status from the arrays `r` holds, each change ("status N"), or with `every`
 * each array ("late status N": a late joiner must get exactly one); returns the last status.
 */
static int drain_status(DataReader *r, int last, bool every) {
  Sample a;
  SampleInfo info;
  while (r->take_next_sample(&a, &info) == ReturnCode_t::RETCODE_OK) {
    if (!info.valid_data) continue;
    for (const auto &g : a.status_list)
      if (g.uuid == GOAL_ID && (every || g.status != last)) {
        last = g.status;
        printf("%sstatus %d\n", every ? "late " : "", last);
      }
  }
  return last;
}

/* Takes the reply that answers the request `sent` (rmw_fastrtps: by related sample identity). */
static bool take_reply(DataReader *r, const eprosima::fastrtps::rtps::SampleIdentity &sent, Sample &reply) {
  SampleInfo info;
  while (r->take_next_sample(&reply, &info) == ReturnCode_t::RETCODE_OK)
    if (info.valid_data && info.related_sample_identity == sent) return true;
  return false;
}

/*
 * control_msgs/GripperCommand action client, as rclcpp's on rmw_fastrtps: waits for every channel
 * of the server (as wait_for_action_server: send_goal, cancel_goal, get_result, feedback, status),
 * sends one goal, asks for its result at once, and prints what comes back ("accepted", "feedback",
 * "status", "result"). With `cancel`, it cancels the goal (its id, stamp zero) on cancel_goal after
 * the first feedback and prints the reply ("cancel <return_code> <goal ids canceling>"); without,
 * a status reader then joins late ("late status": the transient-local status topic's last array).
 */
static int cmd_action(const char *action, double position, bool cancel) {
  ActionEndpoints e = open_action(action, false);
  if (!e.ok()) return 2;
  for (int i = 0; !(writer_matched(e.goal_wr) && writer_matched(e.cancel_wr) && writer_matched(e.result_wr) &&
                    reader_matched(e.goal_rd) && reader_matched(e.cancel_rd) && reader_matched(e.result_rd) &&
                    reader_matched(e.fb_rd) && reader_matched(e.status_rd));
       i++) {
    if (i == 2000) {
      fprintf(stderr, "fastdds_peer: the action server's channels did not all match within 10 s\n");
      return 3;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  say("matched");
  Sample goal;
  goal.uuid = GOAL_ID;
  goal.a = position;
  goal.b = 40.0;
  WriteParams gp;
  gp.related_sample_identity().writer_guid() = e.goal_rd->guid();
  if (!e.goal_wr->write(&goal, gp)) return 2;
  Sample reply;
  bool replied = false;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
       !replied && std::chrono::steady_clock::now() < deadline;) {
    e.goal_rd->wait_for_unread_message(eprosima::fastrtps::Duration_t(0, 10'000'000));
    replied = take_reply(e.goal_rd, gp.sample_identity(), reply);
  }
  if (!replied) {
    fprintf(stderr, "fastdds_peer: no send_goal reply within 10 s\n");
    return 3;
  }
  printf("accepted %s\n", reply.flag ? "true" : "false");
  if (!reply.flag) {
    say("done");
    return 0;
  }
  Sample ask;
  ask.uuid = GOAL_ID;
  WriteParams rp;
  rp.related_sample_identity().writer_guid() = e.result_rd->guid();
  if (!e.result_wr->write(&ask, rp)) return 2;
  // cancel: 0 not asked for, 1 to send after the first feedback, 2 sent, 3 answered.
  int last_status = -1, feedbacks = 0, cancel_state = cancel ? 1 : 0;
  WriteParams cp;
  Sample result;
  bool got = false;
  auto drain_feedback = [&] {
    Sample fb;
    SampleInfo info;
    while (e.fb_rd->take_next_sample(&fb, &info) == ReturnCode_t::RETCODE_OK)
      if (info.valid_data && fb.uuid == GOAL_ID) {
        printf("feedback %.3f\n", fb.a);
        feedbacks++;
      }
  };
  auto cancel_step = [&] {
    if (cancel_state == 1 && feedbacks > 0) {
      Sample req;  // the goal's id, stamp zero: cancel exactly this goal
      req.uuid = GOAL_ID;
      cp.related_sample_identity().writer_guid() = e.cancel_rd->guid();
      if (!e.cancel_wr->write(&req, cp)) {
        fprintf(stderr, "fastdds_peer: write cancel_goal failed\n");
        exit(2);
      }
      cancel_state = 2;
    }
    Sample rep;
    if (cancel_state == 2 && take_reply(e.cancel_rd, cp.sample_identity(), rep)) {
      printf("cancel %d", rep.status);
      for (const auto &g : rep.status_list) printf(" %s", uuid_text(g.uuid).c_str());
      printf("\n");
      cancel_state = 3;
    }
  };
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
       !got && std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(std::chrono::milliseconds(2))) {
    drain_feedback();
    last_status = drain_status(e.status_rd, last_status, false);
    cancel_step();
    got = take_reply(e.result_rd, rp.sample_identity(), result);
  }
  if (!got) {
    fprintf(stderr, "fastdds_peer: no get_result reply within 10 s (cancel state %d)\n", cancel_state);
    return 3;
  }
  // The result may overtake the last feedback, status and cancel reply (other topics): read on
  // until the terminal status and the cancel reply, which the server sent before it (bounded).
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
       (last_status < 4 || cancel_state == 2) && std::chrono::steady_clock::now() < until;
       std::this_thread::sleep_for(std::chrono::milliseconds(2))) {
    drain_feedback();
    last_status = drain_status(e.status_rd, last_status, false);
    cancel_step();
  }
  drain_feedback();
  if (cancel_state == 2) {
    fprintf(stderr, "fastdds_peer: no cancel_goal reply\n");
    return 3;
  }
  printf("result %d %.3f %s\n", result.status, result.a, result.flag ? "true" : "false");
  if (!cancel) {
    DataReader *late = e.sub->create_datareader(e.status_topic, reader_qos(true, 10));
    int late_status = -1;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::chrono::steady_clock::time_point first{};
    while (std::chrono::steady_clock::now() < deadline &&
           (late_status < 0 || std::chrono::steady_clock::now() < first + std::chrono::milliseconds(300))) {
      late->wait_for_unread_message(eprosima::fastrtps::Duration_t(0, 10'000'000));
      int before = late_status;
      late_status = drain_status(late, late_status, true);
      if (before < 0 && late_status >= 0) first = std::chrono::steady_clock::now();
    }
    if (late_status < 0) {
      fprintf(stderr, "fastdds_peer: a late status reader got nothing within 5 s\n");
      return 3;
    }
  }
  say("done");
  wait_stdin_closed();
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc < 2) {
    fprintf(stderr, "usage: see the comment at the top of fastdds_peer.cpp\n");
    return 2;
  }
  DomainParticipantQos pq = PARTICIPANT_QOS_DEFAULT;
  pq.name("fastdds_peer");
  pp = DomainParticipantFactory::get_instance()->create_participant(0, pq);
  if (!pp) {
    fprintf(stderr, "fastdds_peer: create_participant failed\n");
    return 2;
  }
  int rc = 2;
  const char *cmd = argv[1];
  if (!strcmp(cmd, "pub") && argc >= 6)
    rc = cmd_pub(kind_of(argv[2]), argv[3], atoi(argv[4]), !strcmp(argv[5], "transient"));
  else if (!strcmp(cmd, "sub") && argc >= 6)
    rc = cmd_sub(kind_of(argv[2]), argv[3], atoi(argv[4]), !strcmp(argv[5], "transient"));
  else if (!strcmp(cmd, "server") && argc >= 4)
    rc = cmd_server(argv[2], atoi(argv[3]));
  else if (!strcmp(cmd, "client") && argc >= 4)
    rc = cmd_client(argv[2], atoi(argv[3]));
  else if (!strcmp(cmd, "action") && argc >= 4)
    rc = cmd_action(argv[2], atof(argv[3]), argc > 4 && !strcmp(argv[4], "cancel"));
  else if (!strcmp(cmd, "action_server") && argc >= 3)
    rc = cmd_action_server(argv[2]);
  else
    fprintf(stderr, "fastdds_peer: bad arguments\n");
  pp->delete_contained_entities();
  DomainParticipantFactory::get_instance()->delete_participant(pp);
  return rc;
}
