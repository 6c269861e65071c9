/*
 * Portico's small progressive enhancements. Every page works without this file: the server renders
 * complete HTML and htmx does all fetching. This file only keeps the route form tidy and reports
 * failed htmx requests. No inline scripts anywhere, so a strict Content-Security-Policy can be added.
 */
(function () {
  "use strict";

  // Show the blocks that apply to the chosen option: managed Service fields, external name, issuer, secret.
  function applyConditionals(root) {
    root.querySelectorAll("[data-show-when]").forEach(function (block) {
      var form = block.closest("form");
      var checked = form && form.querySelector('input[name="' + block.dataset.showWhen + '"]:checked');
      var values = (block.dataset.showValues || "").split(" ");
      block.hidden = !(checked && values.indexOf(checked.value) !== -1);
    });
  }

  // The namespace list is grouped by cluster: offer only the chosen cluster's namespaces.
  function filterNamespaces(form) {
    var cluster = form.querySelector('select[name="cluster"]');
    var namespace = form.querySelector('select[name="namespace"]');
    if (!cluster || !namespace || namespace.disabled) {
      return;
    }
    var visible = null;
    namespace.querySelectorAll("optgroup").forEach(function (group) {
      var match = group.label === cluster.value;
      group.hidden = !match;
      group.disabled = !match;
      if (match) {
        visible = group;
      }
    });
    var selected = namespace.options[namespace.selectedIndex];
    if (visible && (!selected || selected.parentElement !== visible)) {
      var same = Array.prototype.find.call(visible.children, function (option) {
        return selected && option.value === selected.value;
      });
      var choice = same || visible.querySelector("option");
      if (choice) {
        choice.selected = true;
      }
    }
  }

  // Inline validation swaps error lists in; keep each input's aria-invalid and its field's style in step.
  function syncInvalid(root) {
    root.querySelectorAll(".field-errors[id]").forEach(function (errors) {
      var invalid = errors.textContent.trim() !== "";
      var field = errors.closest(".field");
      if (field) {
        field.classList.toggle("has-error", invalid);
        field.querySelectorAll("input, select, textarea").forEach(function (input) {
          if ((input.getAttribute("aria-describedby") || "").split(" ").indexOf(errors.id) === -1) {
            return;
          }
          if (invalid) {
            input.setAttribute("aria-invalid", "true");
          } else {
            input.removeAttribute("aria-invalid");
          }
        });
      }
    });
  }

  function flash(message) {
    var area = document.getElementById("flash");
    var showing = area && Array.prototype.some.call(area.children, function (child) {
      return child.textContent === message;
    });
    if (!area || showing) {
      return;  // a poll failing every few seconds should not stack up the same message
    }
    var item = document.createElement("div");
    item.className = "flash flash-error";
    item.setAttribute("role", "alert");
    item.textContent = message;
    area.appendChild(item);
    window.setTimeout(function () { item.remove(); }, 8000);
  }

  function enhance(root) {
    applyConditionals(root);
    root.querySelectorAll("form.route-form").forEach(filterNamespaces);
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
  });

  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form.route-form");
    if (!form) {
      return;
    }
    if (event.target.name === "cluster") {
      filterNamespaces(form);
    }
    applyConditionals(form);
  });

  document.addEventListener("htmx:oobAfterSwap", function () {
    syncInvalid(document);
  });

  // A refused review decision answers 403 with its queue item saying why (routes/views.py, _decide): htmx
  // leaves error answers unswapped, so show this one in place of the item instead of a generic message.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (event.detail.xhr && event.detail.xhr.status === 403 && target && target.classList.contains("review-item")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var reasons = {
      403: "You are not allowed to do that.",
      404: "That no longer exists, or belongs to another team.",
      409: "Someone else changed this meanwhile; reload the page."
    };
    flash(reasons[status] || "The server could not handle that request (HTTP " + status + "). Try again.");
  });

  document.addEventListener("htmx:sendError", function () {
    flash("Portico could not be reached. Check your connection; the page keeps trying where it polls.");
  });
})();
