// stream_response refuses a type that is not a message source.
#include <sse/stream_response.hpp>

struct not_a_source {
    using value_type = sse::message;
};

void f(sse::stream_response<not_a_source>*) {}

sse::stream_response<not_a_source>* p = nullptr;
auto size = sizeof(*p);
