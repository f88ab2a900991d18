# The elderly-friendly mode (large type, high contrast, large tap targets) is remembered in this cookie.
ELDERLY_COOKIE = "gongji_elderly"
