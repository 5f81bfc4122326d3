"""Pagination for every list endpoint: `?page=N&page_size=M`, M capped."""

from drf_spectacular.utils import OpenApiParameter
from rest_framework.pagination import PageNumberPagination


class CappedPageNumberPagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


# The query parameters of a page, for a view whose page the schema cannot infer.
PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="a page number within the paginated result set"),
    OpenApiParameter("page_size", int, description="results per page (at most "
                     f"{CappedPageNumberPagination.max_page_size})"),
]
