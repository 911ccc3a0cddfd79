// A range of ints does not adapt to a source.
#include <sse/sources/range.hpp>
#include <sse/stream_response.hpp>

#include <boost/beast/http/string_body.hpp>

#include <vector>

void f(boost::beast::http::request<boost::beast::http::string_body> const& req)
{
    sse::stream_response r{req, std::vector<int>{1, 2}};
}
