'use strict';
// The admin's autocomplete asks by POST (its letters may be a patient's name, which a
// URL would write into access logs): jQuery's POSTs carry the page's CSRF token, read
// when they are sent (this file loads in the head, before the form).
django.jQuery.ajaxPrefilter((options, originalOptions, xhr) => {
    const token = document.querySelector('input[name="csrfmiddlewaretoken"]');
    if (token && options.type.toUpperCase() === 'POST') {
        xhr.setRequestHeader('X-CSRFToken', token.value);
    }
});
