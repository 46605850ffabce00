"""Request bodies captured from real clients, shared by the dialect tests."""

from __future__ import annotations

# PHP curl_setopt($ci, CURLOPT_POSTFIELDS, array(...)): the seed's own example; curl sends an
# array as multipart/form-data with its 24-dash boundary.
PHP_CURL_MULTIPART = (
    b"--------------------------d74496d66958873e\r\n"
    b'Content-Disposition: form-data; name="account"\r\n\r\n10010\r\n'
    b"--------------------------d74496d66958873e\r\n"
    b'Content-Disposition: form-data; name="sender"\r\n\r\n111111\r\n'
    b"--------------------------d74496d66958873e\r\n"
    b'Content-Disposition: form-data; name="passwd"\r\n\r\nE10ADC3949BA59ABBE56E057F20F883E\r\n'
    b"--------------------------d74496d66958873e\r\n"
    b'Content-Disposition: form-data; name="mb"\r\n\r\n8618611287980,8613910060001\r\n'
    b"--------------------------d74496d66958873e\r\n"
    b'Content-Disposition: form-data; name="content"\r\n\r\n'
    + "这是一条短信\r\n第二行".encode()
    + b"\r\n--------------------------d74496d66958873e--\r\n"
)
PHP_CURL_TYPE = "multipart/form-data; boundary=------------------------d74496d66958873e"
