// Oracle for the Maven side of `git-split deps`: a Maven core extension
// (loaded with -Dmaven.ext.class.path) that writes to the file
// -Dgitsplit.out names, once Maven has read the reactor, every link of
// Maven's own project dependency graph between the poms of the checkout,
// one JSON object per line, sorted:
//   {"from":"app/pom.xml","line":12,"to":"core/"}
// Each direct upstream project of a module is matched to what names it in
// the module's effective model: its <parent>, a dependency, a build plugin,
// a plugin's dependency or a build extension. The line and the pom are
// where Maven read that element (an inherited dependency is the parent
// pom's); a link nothing explains is printed with a null line.
//
//   javac -cp '/usr/share/maven/lib/*' -d out ReactorDeps.java
//   (jar it with META-INF/plexus/components.xml, which registers it)
//   mvn -o -q -Dmaven.ext.class.path=reactor-deps.jar -Dgitsplit.out=FILE validate
// (in the checkout; `validate` runs no plugin, so an empty local
// repository will do).
package oracle;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.apache.maven.AbstractMavenLifecycleParticipant;
import org.apache.maven.execution.MavenSession;
import org.apache.maven.model.Dependency;
import org.apache.maven.model.Extension;
import org.apache.maven.model.InputLocation;
import org.apache.maven.model.InputLocationTracker;
import org.apache.maven.model.Plugin;
import org.apache.maven.project.MavenProject;

public class ReactorDeps extends AbstractMavenLifecycleParticipant {
  /** One element of a module's model and the coordinates it names. */
  private record Named(String group, String artifact, InputLocationTracker element) {}

  @Override
  public void afterProjectsRead(MavenSession session) {
    Path root = session.getTopLevelProject().getBasedir().toPath();
    TreeSet<String> lines = new TreeSet<>();
    for (MavenProject p : session.getProjects()) {
      List<Named> named = new ArrayList<>();
      for (Dependency d : p.getModel().getDependencies()) {
        named.add(new Named(d.getGroupId(), d.getArtifactId(), d));
      }
      if (p.getModel().getBuild() != null) {
        for (Plugin plugin : p.getModel().getBuild().getPlugins()) {
          named.add(new Named(plugin.getGroupId(), plugin.getArtifactId(), plugin));
          for (Dependency d : plugin.getDependencies()) {
            named.add(new Named(d.getGroupId(), d.getArtifactId(), d));
          }
        }
        for (Extension e : p.getModel().getBuild().getExtensions()) {
          named.add(new Named(e.getGroupId(), e.getArtifactId(), e));
        }
      }
      for (MavenProject up : session.getProjectDependencyGraph().getUpstreamProjects(p, false)) {
        String to = dir(root, up.getBasedir());
        boolean explained = false;
        if (p.getParent() == up) {
          lines.add(json(rel(root, p.getFile()), line(p.getModel().getParent()), to));
          explained = true;
        }
        for (Named n : named) {
          if (up.getGroupId().equals(n.group()) && up.getArtifactId().equals(n.artifact())) {
            InputLocation at = n.element().getLocation("");
            String from = at != null && at.getSource() != null ? rel(root, new File(at.getSource().getLocation())) : rel(root, p.getFile());
            lines.add(json(from, at == null ? null : at.getLineNumber(), to));
            explained = true;
          }
        }
        if (!explained) {
          lines.add(json(rel(root, p.getFile()), null, to));
        }
      }
    }
    String out = session.getUserProperties().getProperty("gitsplit.out");
    try {
      Files.write(Path.of(out), lines);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write " + out, e);
    }
  }

  private static Integer line(InputLocationTracker element) {
    InputLocation at = element == null ? null : element.getLocation("");
    return at == null ? null : at.getLineNumber();
  }

  private static String rel(Path root, File file) {
    return root.relativize(file.toPath().toAbsolutePath()).toString();
  }

  private static String dir(Path root, File dir) {
    String rel = root.relativize(dir.toPath().toAbsolutePath()).toString();
    return rel.isEmpty() ? "./" : rel + "/";
  }

  private static String json(String from, Integer line, String to) {
    return "{\"from\":\"" + from + "\",\"line\":" + line + ",\"to\":\"" + to + "\"}";
  }
}
