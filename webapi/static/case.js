// The "try a case" form: sends the case to POST /advise, shows the answer (its summary first, as
// the borrower sees it) and the tree with the case's path (the SVG at the answer's diagram_url).
// Every text from the answer is set as text (textContent, text nodes), never parsed as HTML.
(function () {
  "use strict";

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    if (className) {
      node.className = className;
    }
    return node;
  }

  function readForm(form) {
    var body = {};
    form.querySelectorAll("[data-field]").forEach(function (input) {
      var name = input.dataset.field;
      var kind = input.dataset.kind;
      if (kind === "set") {
        // a disabled set (asked only after a "yes" elsewhere) is not sent at all
        if (!input.disabled) {
          body[name] = Array.prototype.map.call(
            input.querySelectorAll("input:checked"), function (box) { return box.value; });
        }
      } else if (kind === "boolean" || kind === "nullable_boolean") {
        if (input.value !== "") {
          body[name] = input.value === "true";
        }
      } else if (kind === "integer" || kind === "number") {
        if (input.value !== "") {
          body[name] = Number(input.value);
        }
      } else if (input.value !== "") {
        body[name] = input.value;
      }
    });
    return body;
  }

  // The form's own checks, worded in the page's language (the browser's would be in its own).
  function validate(form) {
    var messages = form.dataset;
    var errors = [];
    form.querySelectorAll("[data-field][data-label]").forEach(function (input) {
      var label = input.dataset.label;
      var kind = input.dataset.kind;
      if (input.disabled) {
        return;
      }
      if (input.required && input.value === "" && !(input.validity && input.validity.badInput)) {
        errors.push({ label: label, message: messages.errRequired });
      } else if (kind === "integer" || kind === "number") {
        if (input.validity.badInput) {
          errors.push({ label: label, message: messages.errNumber });
        } else if (input.value !== "") {
          var value = Number(input.value);
          var low = input.min === "" ? -Infinity : Number(input.min);
          var high = input.max === "" ? Infinity : Number(input.max);
          if (kind === "integer" && Math.floor(value) !== value) {
            errors.push({ label: label, message: messages.errInteger });
          } else if (value < low || value > high) {
            errors.push({
              label: label,
              message: messages.errRange.replace("{min}", input.min).replace("{max}", input.max)
            });
          }
        }
      }
    });
    return errors;
  }

  // Gated sets (the kinds of harassment) can be answered only after a "yes" to their question.
  function gate(form) {
    form.querySelectorAll("fieldset[data-enabled-by]").forEach(function (set) {
      var by = form.querySelector('[data-field="' + set.dataset.enabledBy + '"]');
      if (!by) {
        return;
      }
      function update() {
        var open = by.value === "true";
        set.disabled = !open;
        if (!open) {
          set.querySelectorAll("input:checked").forEach(function (box) { box.checked = false; });
        }
      }
      by.addEventListener("change", update);
      update();
    });
  }

  // A wording of the page with {name} placeholders filled in; the result is set as text.
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  // The page's word for a count: English has "1 day" and "2 days"; Chinese has one form for both.
  function counted(words, key, n, values) {
    var one = words[key + "One"];
    return fill(Math.abs(n) === 1 && one ? one : words[key], values);
  }

  function itemId(id) {
    return "case-item-" + id;
  }

  function urgencyTag(words, urgency) {
    var names = { now: words.urgencyNow, this_week: words.urgencyThisWeek, later: words.urgencyLater };
    var tag = element("span", names[urgency] || urgency, "urgency urgency-" + urgency);
    tag.title = words.urgency;
    return tag;
  }

  function cites(words, citations) {
    var paragraph = element("p", words.citations + ": ", "cites");
    citations.forEach(function (citation, index) {
      if (index) {
        paragraph.appendChild(document.createTextNode("; "));
      }
      var link = element("a", citation.law + " " + citation.article);
      link.href = citation.source;
      link.rel = "noopener noreferrer";
      link.title = citation.summary;
      paragraph.appendChild(link);
    });
    return paragraph;
  }

  function items(words, title, entries) {
    var section = element("section");
    section.appendChild(element("h3", title));
    var list = element("ol");
    entries.forEach(function (entry) {
      var item = element("li");
      item.id = itemId(entry.id);
      item.appendChild(element("strong", entry.title));
      item.appendChild(document.createTextNode(" "));
      item.appendChild(urgencyTag(words, entry.urgency));
      var steps = element("ul");
      entry.steps.forEach(function (step) { steps.appendChild(element("li", step)); });
      item.appendChild(steps);
      if (entry.legal_basis.length) {
        item.appendChild(cites(words, entry.legal_basis));
      }
      list.appendChild(item);
    });
    section.appendChild(list);
    return section;
  }

  function deadlineWhen(words, deadline) {
    var n = deadline.days_left;
    if (n === null || n === undefined) {
      return element("p", words.daysUnknown, "when");
    }
    var values = { n: Math.abs(n), date: deadline.date };
    if (n > 0) {
      return element("p", counted(words, "daysLeft", n, values), "when");
    }
    if (n === 0) {
      return element("p", fill(words.lastDayToday, values), "when today");
    }
    return element("p", counted(words, "daysPassed", n, values), "when passed");
  }

  // The answer's summary, as the borrower sees it first: the headline, the first steps (each a
  // link to its action below), reassurance, deadlines counted in days, the next stage.
  function summary(words, answer) {
    var found = answer.summary;
    var section = element("section", null, "summary");
    section.appendChild(element("h3", words.summary));
    section.appendChild(element("p", found.headline, "headline"));
    var titles = {};
    answer.actions.forEach(function (action) { titles[action.id] = action.title; });
    if (found.first_steps.length) {
      section.appendChild(element("h4", words.firstSteps));
      var steps = element("ol", null, "first-steps");
      found.first_steps.forEach(function (id) {
        var step = element("li");
        var link = element("a", titles[id] || id);
        link.href = "#" + itemId(id);
        step.appendChild(link);
        steps.appendChild(step);
      });
      section.appendChild(steps);
    }
    if (found.reassurance.length) {
      section.appendChild(element("h4", words.reassurance));
      var calm = element("ul", null, "reassurance");
      found.reassurance.forEach(function (text) { calm.appendChild(element("li", text)); });
      section.appendChild(calm);
    }
    if (found.deadlines.length) {
      section.appendChild(element("h4", words.deadlines));
      var limits = element("ul", null, "deadlines");
      found.deadlines.forEach(function (deadline) {
        var limit = element("li");
        limit.id = "case-deadline-" + deadline.id;
        limit.appendChild(element("span", deadline.what, "what"));
        limit.appendChild(deadlineWhen(words, deadline));
        if (deadline.after) {
          limit.appendChild(element("p", deadline.after, "after"));
        }
        if (deadline.legal_basis.length) {
          limit.appendChild(cites(words, deadline.legal_basis));
        }
        limits.appendChild(limit);
      });
      section.appendChild(limits);
    }
    if (found.next_stage) {
      var next = found.next_stage;
      section.appendChild(element(
        "p",
        words.nextStage + ": " + counted(words, "nextStageIn", next.in_days, { n: next.in_days, label: next.label }),
        "next-stage"
      ));
    }
    return section;
  }

  function showAnswer(target, words, rulePage, answer) {
    target.replaceChildren();
    target.appendChild(summary(words, answer));
    target.appendChild(element("p", words.stage + ": " + answer.stage.label, "stage"));
    target.appendChild(element("p", answer.stage.about, "hint"));
    target.appendChild(items(words, words.actions, answer.actions));
    target.appendChild(items(words, words.avoid, answer.avoid));
    var contacts = element("section");
    contacts.appendChild(element("h3", words.contacts));
    var list = element("ul", null, "contacts");
    answer.contacts.forEach(function (contact) {
      list.appendChild(element("li", contact.name + ": " + contact.channel + " — " + contact.purpose));
    });
    contacts.appendChild(list);
    target.appendChild(contacts);
    var trace = element("section");
    trace.appendChild(element("h3", words.trace));
    var rules = element("ul", null, "trace");
    answer.trace.forEach(function (entry) {
      var item = element("li");
      var link = element("a", entry.rule);
      link.href = rulePage.replace("RULE_ID", encodeURIComponent(entry.rule));
      item.appendChild(link);
      item.appendChild(document.createTextNode(": " + entry.because));
      rules.appendChild(item);
    });
    trace.appendChild(rules);
    target.appendChild(trace);
  }

  function showChanges(target, words, changes) {
    var section = element("section", null, "counterfactuals");
    section.appendChild(element("h3", words.explain));
    if (!changes.length) {
      section.appendChild(element("p", words.explainNone, "hint"));
    }
    var list = element("ul");
    changes.forEach(function (change) {
      var item = element("li", change.label + ": " + change.from + " → " + change.to);
      if (change.stage) {
        item.appendChild(element("div", change.stage[0] + " → " + change.stage[1], "hint"));
      }
      change.adds.forEach(function (title) { item.appendChild(element("div", "+ " + title)); });
      change.removes.forEach(function (title) { item.appendChild(element("div", "− " + title, "hint")); });
      list.appendChild(item);
    });
    section.appendChild(list);
    target.appendChild(section);
  }

  function showErrors(target, words, errors) {
    target.replaceChildren(element("p", words.refused, "problem"));
    var list = element("ul", null, "problem");
    errors.forEach(function (error) {
      list.appendChild(element("li", error.label + ": " + error.message));
    });
    target.appendChild(list);
  }

  // The API words its refusals in English; the page names each field by its label and says what
  // is wrong in the page's language.
  function localized(form, problem) {
    var messages = form.dataset;
    return (problem.errors || []).map(function (error) {
      var input = form.querySelector('[data-field="' + error.field + '"]');
      var label = input && input.dataset.label ? input.dataset.label : error.field;
      var message = messages.errInvalid;
      if (error.message === "required") {
        message = messages.errRequired;
      } else if (input && input.dataset.enabledError) {
        message = input.dataset.enabledError;
      }
      return { label: label, message: message };
    });
  }

  function showPath(viewer, svgText) {
    // the drawing's own style sheet paints the path when it is opened alone; inside this page
    // review.css paints it (the page's policy allows no inline style, not even in a parsed copy)
    var unstyled = svgText.replace(/<style>[\s\S]*?<\/style>/g, "");
    var parsed = new DOMParser().parseFromString(unstyled, "image/svg+xml");
    var root = parsed.documentElement;
    if (root.nodeName !== "svg") {
      throw new Error("not an SVG diagram");
    }
    viewer.replaceChildren(document.importNode(root, true));
    window.reviewDiagrams.attach(viewer);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("case-form");
    var answerBox = document.getElementById("case-answer");
    var target = document.getElementById("case-answer-body");
    var viewer = document.getElementById("case-path");
    var words = answerBox.dataset;
    gate(form);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var errors = validate(form);
      if (errors.length) {
        showErrors(target, words, errors);
        viewer.replaceChildren();
        return;
      }
      target.replaceChildren(element("p", words.waiting, "hint"));
      fetch(form.dataset.endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify(readForm(form))
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (result) {
        if (!result.ok) {
          showErrors(target, words, localized(form, result.body));
          viewer.replaceChildren();
          return null;
        }
        showAnswer(target, words, form.dataset.rulePage, result.body);
        fetch(form.dataset.explain, {
          method: "POST",
          headers: { "Content-Type": "application/json", "Accept": "application/json" },
          body: JSON.stringify(readForm(form))
        }).then(function (response) { return response.ok ? response.json() : null; })
          .then(function (found) { if (found) { showChanges(target, words, found.changes); } });
        return fetch(result.body.diagram_url).then(function (response) {
          if (!response.ok) {
            throw new Error(words.failed);
          }
          return response.text();
        }).then(function (svgText) { showPath(viewer, svgText); });
      }).catch(function (error) {
        target.appendChild(element("p", words.failed + ": " + error.message, "problem"));
      });
    });
  });
})();
